// Graceful shutdown of the real process: SIGTERM while clients are loading it → exit code 0, and
// every entry that got a 2xx (201 after commit, 202 accepted) is in the database afterwards.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLogStorage } from "@batchlog/storage";
import { createClient } from "@libsql/client";
import { afterAll, describe, expect, it } from "vitest";
import { runMain, waitForUrl } from "./helpers/child-server.js";

const dir = mkdtempSync(join(tmpdir(), "batchlog-shutdown-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("SIGTERM under load", () => {
  it("Should exit 0 after draining, with every acknowledged entry stored", async () => {
    const dbUrl = `file:${join(dir, "batchlog.db")}`;
    const run = runMain([], {
      BATCHLOG_PORT: "0",
      BATCHLOG_DB_URL: dbUrl,
      BATCHLOG_LOG_LEVEL: "info",
      BATCHLOG_MAX_BATCH_DELAY_MS: "20",
      BATCHLOG_STATS_INTERVAL_MS: "0",
    });
    const url = await waitForUrl(run);
    const acknowledged: string[] = [];
    const statuses = new Map<string, number>();
    let stop = false;
    let n = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const id = n++;
        const wait = id % 3 !== 0;
        const messages = Array.from({ length: 25 }, (_, i) => `load ${id} ${i}`);
        try {
          const res = await fetch(`${url}/api/logs${wait ? "" : "?wait=false"}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(
              messages.map((message) => ({ source: "shutdown-load", message, fields: { worker: w } })),
            ),
          });
          await res.arrayBuffer();
          const key = String(res.status);
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          if (res.status === 201 || res.status === 202) acknowledged.push(...messages);
        } catch {
          statuses.set("connection error", (statuses.get("connection error") ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await new Promise((r) => setTimeout(r, 1500));
    const ackedBeforeSignal = acknowledged.length;
    run.child.kill("SIGTERM");
    const exit = await run.exited;
    stop = true;
    await Promise.all(workers);

    expect(exit, run.stderr()).toEqual({ code: 0, signal: null });
    expect(ackedBeforeSignal).toBeGreaterThan(100);
    expect(run.stdout()).toContain('"msg":"stopped cleanly"');
    // Not at a terminal, stdout is only the server's NDJSON log lines: a shipper can parse every one.
    for (const line of run
      .stdout()
      .split("\n")
      .filter((l) => l !== "")) {
      expect(() => JSON.parse(line), line).not.toThrow();
    }

    const storage = await openLogStorage({ url: dbUrl });
    try {
      const stored = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await storage.search({
          sources: ["shutdown-load"],
          limit: 1000,
          ...(cursor && { cursor }),
        });
        for (const e of page.entries) stored.add(e.message);
        cursor = page.nextCursor;
      } while (cursor);
      const missing = acknowledged.filter((m) => !stored.has(m));
      expect(missing, JSON.stringify(Object.fromEntries(statuses))).toEqual([]);
      expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length);
    } finally {
      await storage.close();
    }
  });
});

describe("the same signal delivered twice", () => {
  it("Should still drain and exit 0 when SIGTERM arrives twice at once (timeout(1) signals the process and its group)", async () => {
    const dbUrl = `file:${join(dir, "twice.db")}`;
    const run = runMain([], { BATCHLOG_PORT: "0", BATCHLOG_DB_URL: dbUrl, BATCHLOG_STATS_INTERVAL_MS: "0" });
    const url = await waitForUrl(run);
    const res = await fetch(`${url}/api/logs?wait=false`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "accepted before the signal", source: "twice" }),
    });
    expect(res.status).toBe(202);
    run.child.kill("SIGTERM");
    // A moment apart, as two deliveries are (the kernel merges two that are still pending).
    await new Promise((r) => setTimeout(r, 5));
    run.child.kill("SIGTERM");
    expect(await run.exited, run.stdout()).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toContain("stopped cleanly");
    expect(run.stdout()).not.toContain("second signal");
    const storage = await openLogStorage({ url: dbUrl });
    try {
      expect((await storage.search({ sources: ["twice"] })).entries).toHaveLength(1);
    } finally {
      await storage.close();
    }
  });
});

describe("SIGHUP (the terminal or SSH session closed)", () => {
  it("Should drain what the queue holds and exit 0, not die with entries answered 202", async () => {
    const dbUrl = `file:${join(dir, "hangup.db")}`;
    const run = runMain([], {
      BATCHLOG_PORT: "0",
      BATCHLOG_DB_URL: dbUrl,
      BATCHLOG_STATS_INTERVAL_MS: "0",
      // the entry is still queued when the signal arrives
      BATCHLOG_MAX_BATCH_DELAY_MS: "10000",
    });
    const url = await waitForUrl(run);
    const res = await fetch(`${url}/api/logs?wait=false`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "accepted before the hangup", source: "hangup" }),
    });
    expect(res.status).toBe(202);
    run.child.kill("SIGHUP");
    expect(await run.exited, run.stdout()).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toContain("stopped cleanly");
    const storage = await openLogStorage({ url: dbUrl });
    try {
      expect((await storage.search({ sources: ["hangup"] })).entries).toHaveLength(1);
    } finally {
      await storage.close();
    }
  });
});

describe("a drain that cannot commit what was answered 202", () => {
  it("Should exit 1 with an error line counting the lost entries, not 'stopped cleanly'", async () => {
    const dbUrl = `file:${join(dir, "locked.db")}`;
    const run = runMain([], {
      BATCHLOG_PORT: "0",
      BATCHLOG_DB_URL: dbUrl,
      BATCHLOG_STATS_INTERVAL_MS: "0",
      // another process holds the write lock: every batch write fails (SQLITE_BUSY) and is retried
      // until the drain gives up
      BATCHLOG_BUSY_TIMEOUT_MS: "0",
      BATCHLOG_RETRY_INITIAL_DELAY_MS: "20",
      BATCHLOG_RETRY_MAX_DELAY_MS: "100",
      BATCHLOG_DRAIN_TIMEOUT_MS: "300",
    });
    const url = await waitForUrl(run);
    const locker = createClient({ url: dbUrl });
    const tx = await locker.transaction("write");
    try {
      const res = await fetch(`${url}/api/logs?wait=false`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ message: "one" }, { message: "two" }, { message: "three" }]),
      });
      expect(res.status).toBe(202);
      run.child.kill("SIGTERM");
      expect(await run.exited, run.stdout()).toEqual({ code: 1, signal: null });
    } finally {
      await tx.rollback();
      tx.close();
      locker.close();
    }
    const lines = run
      .stdout()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { level: number; msg: string; entries?: number });
    const lost = lines.filter((l) => l.msg.includes("answered 202"));
    expect(lost).toEqual([
      expect.objectContaining({
        level: 50,
        entries: 3,
        msg: "shutdown lost entries answered 202 (?wait=false): their commit failed during the drain",
      }),
    ]);
    expect(run.stdout()).not.toContain("stopped cleanly");
  });
});
