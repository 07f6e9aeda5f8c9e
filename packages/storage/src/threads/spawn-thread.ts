import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type ResourceLimits, Worker } from "node:worker_threads";

/**
 * The URL of a thread's entry module next to `callerUrl`: `.ts` when running from sources (tests,
 * tsx), `.js` in the compiled package.
 */
export function threadEntry(callerUrl: string, baseName: string): URL {
  return new URL(`${baseName}${callerUrl.endsWith(".ts") ? ".ts" : ".js"}`, callerUrl);
}

/** Starts a worker on `entry`; from TypeScript sources the worker loads .ts through tsx. */
export function spawnThread(entry: URL, workerData: unknown, resourceLimits: ResourceLimits): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, { workerData, resourceLimits });
  const tsx = tsxEsmApiUrl();
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits });
}

/**
 * Starts a child process on `entry` with an IPC channel (structured clone: Dates survive) and a
 * heap of `heapLimitMb`; from TypeScript sources it loads .ts through tsx. Its stdout is not the
 * server's (which carries only JSON log lines); its stderr is, for a crash report.
 */
export function spawnProcess(entry: URL, args: string[], heapLimitMb: number): ChildProcess {
  const execArgv = [`--max-old-space-size=${heapLimitMb}`];
  if (entry.pathname.endsWith(".ts")) execArgv.push("--import", tsxLoaderUrl());
  return fork(fileURLToPath(entry), args, {
    execArgv,
    serialization: "advanced",
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
}

/** tsx's loader, for `node --import` (the package's main export). */
function tsxLoaderUrl(): string {
  const manifest = createRequire(import.meta.url).resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { exports: Record<string, unknown> };
  const entry = typeof pkg.exports["."] === "string" ? pkg.exports["."] : "./dist/loader.mjs";
  return pathToFileURL(join(dirname(manifest), entry)).href;
}

/** tsx's ESM register API (its `import` export; require.resolve would give the CommonJS build). */
function tsxEsmApiUrl(): string {
  const manifest = createRequire(import.meta.url).resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const entry = pkg.exports["./esm/api"]?.import.default ?? "./dist/esm/api/index.mjs";
  return pathToFileURL(join(dirname(manifest), entry)).href;
}
