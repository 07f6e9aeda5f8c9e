import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";

const BENCH_DIR = join(import.meta.dirname, "..");

/**
 * Forks a TypeScript entry of this package in its own Node process (sources resolved through the
 * @batchlog/source condition, as in `pnpm bench`): a server or a memory measurement must not
 * share the bench's event loop or heap.
 */
export function forkTsx(script: string, args: string[], nodeOptions: string[] = []): ChildProcess {
  return fork(join(BENCH_DIR, "src", script), args, {
    cwd: BENCH_DIR,
    execArgv: ["--conditions=@batchlog/source", "--import", "tsx", "--expose-gc", ...nodeOptions],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}
