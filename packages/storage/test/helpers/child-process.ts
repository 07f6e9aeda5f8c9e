import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const PACKAGE_DIR = fileURLToPath(new URL("../..", import.meta.url));
const live = new Set<ChildProcess>();

/** Spawns a TypeScript file of this package in a child process (source conditions, tsx loader). */
export function spawnTs(file: URL, args: string[] = []): ChildProcess {
  const child = spawn(
    process.execPath,
    ["--conditions=@batchlog/source", "--import", "tsx", fileURLToPath(file), ...args],
    { cwd: PACKAGE_DIR, stdio: ["ignore", "pipe", "pipe"] },
  );
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** Resolves with the first stdout line that matches, rejecting if the child exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    let stderr = "";
    const timer = setTimeout(
      () => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      const line = lines.find((l) => pattern.test(l));
      if (line !== undefined) finish(null, line);
    };
    const onErr = (chunk: Buffer) => {
      stderr += chunk.toString();
    };
    const onExit = (code: number | null) =>
      finish(new Error(`child exited (${code}) before printing ${pattern}: ${stderr.slice(-2000)}`));
    function finish(error: Error | null, line?: string) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onErr);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(line!);
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onErr);
    child.once("exit", onExit);
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** SIGKILLs every child this helper started that is still running (afterAll / afterEach). */
export async function killChildren(): Promise<void> {
  const running = [...live];
  for (const child of running) child.kill("SIGKILL");
  await Promise.all(running.map(exited));
}

/**
 * Another process takes the database's write lock (BEGIN IMMEDIATE) and keeps it `holdMs`.
 * Resolves once the lock is held; `released` resolves when the child has let go and exited.
 */
export async function holdWriteLock(
  dbPath: string,
  holdMs: number,
): Promise<{ child: ChildProcess; released: Promise<void> }> {
  const child = spawnTs(new URL("./lock-holder.ts", import.meta.url), [dbPath, String(holdMs)]);
  const released = waitForLine(child, /^released/, holdMs + 30_000).then(() => undefined);
  released.catch(() => {});
  await waitForLine(child, /^locked/);
  return { child, released };
}
