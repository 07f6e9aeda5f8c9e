// Runs the real entry point (src/main.ts through tsx) as a child process, as a user would.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const demoDir = fileURLToPath(new URL("../../", import.meta.url));

export interface ChildRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `node --import tsx src/main.ts ...args` in apps/demo with `env` added to a clean
 * BATCHLOG_-free environment; `as` runs it as another user (the test runner must be root).
 */
export function runMain(
  args: string[],
  env: Record<string, string>,
  as?: { uid: number; gid: number },
): ChildRun {
  return runScript("src/main.ts", args, env, as);
}

/** Like runMain, for another entry point of apps/demo (src/backup.ts). */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  as?: { uid: number; gid: number },
): ChildRun {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BATCHLOG_")));
  const child = spawn(
    process.execPath,
    ["--conditions=@batchlog/source", "--import", "tsx", script, ...args],
    {
      cwd: demoDir,
      env: { ...base, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      ...as,
    },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for the "batchlog is listening" log line (info level) and returns its URL. */
export async function waitForUrl(run: ChildRun, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /"url":"(http:\/\/[\d.]+:\d+)".*"msg":"batchlog is listening"/.exec(run.stdout());
    if (match) return match[1] as string;
    if (run.child.exitCode !== null) throw new Error(`server exited: ${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${run.stdout()} ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
