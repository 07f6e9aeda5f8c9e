import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";

/**
 * Mounts a tmpfs of `size` (e.g. "8m") on `dir`. Returns null when mounted, or the reason it
 * could not be (not root, no mount permission in a container…) so the caller can skip loudly.
 */
export function mountTmpfs(dir: string, size: string): string | null {
  if (process.platform !== "linux") return `tmpfs needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root";
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    return null;
  } catch (error) {
    return `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

export function isMounted(dir: string): boolean {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .some((line) => line.split(" ")[1] === dir);
}

/** Unmounts (lazily if busy); safe to call when nothing is mounted. */
export function unmount(dir: string): void {
  if (!isMounted(dir)) return;
  try {
    execFileSync("umount", [dir], { stdio: "pipe" });
  } catch {
    execFileSync("umount", ["-l", dir], { stdio: "pipe" });
  }
}
