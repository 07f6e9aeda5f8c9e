// The process's stdout reader goes away (a log shipper dies, `| head`): the server keeps serving
// and still shuts down cleanly. Before the guard, the EPIPE left it hung and deaf to SIGTERM.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runMain } from "./helpers/child-server.js";

const dir = mkdtempSync(join(tmpdir(), "batchlog-stdout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("stdout closed under the server", () => {
  it("Should keep answering, say so at most once on stderr, and exit 0 on SIGTERM", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = runMain([], {
      BATCHLOG_PORT: String(port),
      BATCHLOG_DB_URL: `file:${join(dir, "batchlog.db")}`,
      BATCHLOG_LOG_LEVEL: "debug", // a log line per request: every request writes to the closed pipe
      BATCHLOG_STATS_INTERVAL_MS: "0",
    });
    try {
      // the reader is gone before the server says it runs (as with `| head -1` after a log line)
      run.child.stdout?.destroy();
      await until(async () => (await fetch(`${url}/healthz`).catch(() => null))?.status === 200);
      for (let i = 0; i < 5; i++) {
        const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
        expect(health.status).toBe(200);
        const post = await fetch(`${url}/api/logs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: `after stdout closed ${i}` }),
          signal: AbortSignal.timeout(5000),
        });
        expect(post.status).toBe(201);
      }
      run.child.kill("SIGTERM");
      const exit = await Promise.race([
        run.exited,
        new Promise((resolve) => setTimeout(() => resolve("still running 15 s after SIGTERM"), 15_000)),
      ]);
      expect(exit, run.stderr()).toEqual({ code: 0, signal: null });
      // pino drops its lines to a closed pipe by itself; the notice comes from the guard, when a
      // plain-text line (written at a terminal only) meets the closed stdout: at most once.
      expect(run.stderr().match(/stdout was closed \(EPIPE\)/g)?.length ?? 0).toBeLessThanOrEqual(1);
      expect(run.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      run.child.kill("SIGKILL");
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("the server did not answer /healthz");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
