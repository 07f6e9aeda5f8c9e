// A real demo server on 127.0.0.1, port 0, on a database in a fresh temp directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogEntry } from "@batchlog/storage";
import { type Config, loadConfig } from "../../src/config.js";
import { type RunningServer, type StartOptions, startServer } from "../../src/server.js";

export interface TestServer extends RunningServer {
  dir: string;
  dbUrl: string;
  /** Stops the server (graceful) and removes the temp directory. */
  dispose(): Promise<void>;
}

/** `storage`: storage options the environment does not set (a small `skippedCountWindow`). */
export async function startTestServer(
  env: Record<string, string> = {},
  options: StartOptions = {},
  storage: Partial<Config["storage"]> = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "batchlog-demo-test-"));
  const dbUrl = `file:${join(dir, "batchlog.db")}`;
  const config = loadConfig({
    BATCHLOG_HOST: "127.0.0.1",
    BATCHLOG_PORT: "0",
    BATCHLOG_DB_URL: dbUrl,
    BATCHLOG_LOG_LEVEL: "silent",
    BATCHLOG_STATS_INTERVAL_MS: "0",
    BATCHLOG_MAX_BATCH_DELAY_MS: "2",
    ...env,
  });
  const server = await startServer({ ...config, storage: { ...config.storage, ...storage } }, options);
  return {
    ...server,
    dir,
    dbUrl,
    async dispose() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function request<T = Record<string, unknown>>(
  base: string,
  path: string,
  init: RequestInit & { token?: string } = {},
): Promise<Answer<T>> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set("authorization", `Bearer ${init.token}`);
  const res = await fetch(`${base}${path}`, { ...init, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: body as T, text };
}

export const postJson = (
  base: string,
  path: string,
  json: unknown,
  init: RequestInit & { token?: string } = {},
) =>
  request<{
    ids?: (number | null)[];
    accepted?: number;
    errors?: { index: number; error: string }[];
    error?: string;
    code?: string;
  }>(base, path, {
    method: "POST",
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
    body: JSON.stringify(json),
  });

export type WireEntry = Omit<LogEntry, "timestamp"> & { timestamp: string };

/** GET /api/logs with the given parameters. */
export async function search(
  base: string,
  params: Record<string, string> = {},
  token?: string,
): Promise<WireEntry[]> {
  const answer = await request<{ entries: WireEntry[] }>(
    base,
    `/api/logs?${new URLSearchParams(params)}`,
    token === undefined ? {} : { token },
  );
  if (answer.status !== 200) throw new Error(`search failed: ${answer.status} ${answer.text}`);
  return answer.body.entries;
}

/** Polls `check` until it returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
