import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  type LogStorage,
  openLogStorage,
  StorageClosedError,
  StorageUnavailableError,
  WriteTimeoutError,
} from "../../src/index.js";
import { holdWriteLock, killChildren } from "../helpers/child-process.js";
import { countMessage, rowsWithPrefix } from "../helpers/db-inspect.js";
import { captureLogs } from "../helpers/log-capture.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const temp = makeTempDir("batchlog-faults-");
let opened: LogStorage[] = [];
afterEach(async () => {
  await killChildren();
  await Promise.allSettled(opened.map((s) => s.close()));
  opened = [];
});
afterAll(() => temp.cleanup());

async function open(name: string, config: Parameters<typeof openLogStorage>[0]) {
  const dbPath = join(temp.dir, `${name}.db`);
  const storage = await openLogStorage({ url: `file:${dbPath}`, diskReserveBytes: 0, ...config });
  opened.push(storage);
  return { storage, dbPath };
}

function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error("condition not met in time"));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

describe("lock contention: another process holds BEGIN IMMEDIATE", () => {
  it("10k entries stored while the lock is held 2 s: all committed once, retries counted and logged, health degraded then ok", async () => {
    const logs = captureLogs();
    const { storage, dbPath } = await open("contention", {
      busyTimeoutMs: 10, // SQLITE_BUSY surfaces instead of waiting inside SQLite
      retry: { initialDelayMs: 20, maxDelayMs: 500 },
      logger: logs.logger,
    });
    await storage.store({ message: "before the lock" });
    const lock = await holdWriteLock(dbPath, 2000);
    const lockedAt = performance.now();

    const promises = Array.from({ length: 10_000 }, (_, i) =>
      storage.store({ level: "info", source: "contention", message: `busy-${i}` }),
    );
    await until(() => storage.stats().retries > 0);
    const during = storage.health();
    expect(during.status).toBe("degraded");
    expect(during.reasons.join(" ")).toMatch(/database is locked/);
    expect(during.consecutiveFailures).toBeGreaterThan(0);

    const ids = await Promise.all(promises);
    await lock.released;
    // Nothing could commit while the other process held the lock.
    expect(performance.now() - lockedAt).toBeGreaterThanOrEqual(1500);

    const after = storage.health();
    expect(after.status).toBe("ok");
    expect(after.consecutiveFailures).toBe(0);
    const stats = storage.stats();
    expect(stats.retries).toBeGreaterThan(0);
    expect(stats.lastError?.code).toMatch(/^SQLITE_BUSY/);
    expect(stats.entriesFailed).toBe(0);

    expect(new Set(ids).size).toBe(10_000);
    await storage.close();
    const stored = rowsWithPrefix(dbPath, "busy-");
    expect(stored.size).toBe(10_000);
    expect(ids.map((id) => stored.get(id))).toEqual(ids.map((_, i) => `busy-${i}`));

    // Logged once each: one line per retry (attempts 1, 2, …), one recovery, no failure.
    const retryLines = logs.messages("batch write failed; retrying with backoff");
    expect(retryLines).toHaveLength(stats.retries);
    expect(retryLines.map((l) => l.attempt)).toEqual(retryLines.map((_, i) => i + 1));
    expect(retryLines.every((l) => (l.err as { code: string }).code === "SQLITE_BUSY")).toBe(true);
    expect(logs.messages("batch writes recovered")).toHaveLength(1);
    expect(logs.messages("batch writes recovered")[0]!.failures).toBe(stats.retries);
    expect(logs.messages("batch write failed; rejecting its entries")).toHaveLength(0);
  });
});

describe("close() while the database is failing", () => {
  it("waits at most drainTimeoutMs, then rejects every remaining entry with a clear error", async () => {
    const logs = captureLogs();
    const drainTimeoutMs = 600;
    const busyTimeoutMs = 150;
    const { storage, dbPath } = await open("drain", {
      busyTimeoutMs,
      drainTimeoutMs,
      maxBatchSize: 100,
      retry: { initialDelayMs: 20, maxDelayMs: 100 },
      logger: logs.logger,
    });
    await storage.store({ message: "before the lock" });
    await holdWriteLock(dbPath, 60_000); // longer than the test: the database never recovers
    // 20 batches queued: before the drain bound, each would have cost one more busy wait.
    const promises = Array.from({ length: 2000 }, (_, i) => storage.store({ message: `drain-${i}` }));
    const settled = Promise.allSettled(promises);
    await until(() => storage.stats().retries > 0);

    const started = performance.now();
    await storage.close();
    const elapsed = performance.now() - started;
    // drainTimeoutMs, plus at most the one attempt in flight (busy wait) and the final checkpoint's.
    expect(elapsed).toBeLessThan(drainTimeoutMs + 3 * busyTimeoutMs + 500);
    expect(elapsed).toBeGreaterThanOrEqual(drainTimeoutMs - 50);

    // None left pending: every promise has settled by the time close() resolved.
    const results = await Promise.race([settled, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
    expect(results).not.toBeNull();
    for (const result of results!) {
      expect(result.status).toBe("rejected");
      const reason = (result as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(StorageUnavailableError);
      expect(reason.message).toMatch(/closed while the database was failing/);
      expect(reason.message).toMatch(/database is locked/);
    }
    await expect(storage.store({ message: "after close" })).rejects.toBeInstanceOf(StorageClosedError);
    // A failure line at once and one for the rest as the drain ends (not one per batch: a line
    // per 10 s at most), together covering every entry.
    const failures = logs.messages("batch write failed; rejecting its entries");
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.length).toBeLessThanOrEqual(2);
    expect(failures.reduce((sum, l) => sum + Number(l.batches), 0)).toBe(20);
    expect(failures.reduce((sum, l) => sum + Number(l.entries), 0)).toBe(2000);
    await killChildren();
    expect(rowsWithPrefix(dbPath, "drain-").size).toBe(0);
  });
});

describe("the failure log line of a short spell", () => {
  it("reports every batch the spell rejected once writes recover, not in a later spell's line", async () => {
    const logs = captureLogs();
    const { storage, dbPath } = await open("spell", {
      busyTimeoutMs: 10,
      maxBatchSize: 1,
      retry: { initialDelayMs: 10, maxDelayMs: 10, maxAttempts: 1 },
      logger: logs.logger,
    });
    await storage.store({ message: "before the lock" });
    const lock = await holdWriteLock(dbPath, 1500);
    const refused = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => storage.store({ message: `r${i}` })),
    );
    expect(refused.every((r) => r.status === "rejected")).toBe(true);
    await lock.released;
    await storage.store({ message: "after" });
    const lines = logs.messages("batch write failed; rejecting its entries");
    expect(lines.reduce((sum, l) => sum + Number(l.batches), 0)).toBe(5);
    expect(lines.length).toBeLessThanOrEqual(2);
  });
});

describe("writeTimeoutMs: a writer stalled by another process's lock", () => {
  it("an entry still queued behind the stalled batch is withdrawn: WriteTimeoutError, never written", async () => {
    const { storage, dbPath } = await open("timeout-queued", {
      busyTimeoutMs: 10,
      writeTimeoutMs: 300,
      maxBatchSize: 1, // the second entry waits in the queue while the first one retries
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    await storage.store({ message: "before the lock" });
    const lock = await holdWriteLock(dbPath, 1200);
    const settle = (p: Promise<number>) =>
      p.then(
        () => null,
        (e: unknown) => e,
      );
    const [head, queued] = await Promise.all([
      settle(storage.store({ message: "stalled-head" })),
      settle(storage.store({ message: "stalled-queued" })),
    ]);
    expect(queued).toBeInstanceOf(WriteTimeoutError);
    expect((queued as WriteTimeoutError).withdrawn).toBe(true);
    // The head batch was retrying: withdrawn unless the sweep caught it mid-attempt.
    expect(head).toBeInstanceOf(WriteTimeoutError);
    await lock.released;
    await storage.store({ message: "after the lock" });
    await storage.close();
    expect(countMessage(dbPath, "stalled-queued")).toBe(0);
    // Caught mid-attempt, it "may still commit (once)": 0 if that attempt failed, never 2.
    expect(countMessage(dbPath, "stalled-head")).toBeLessThanOrEqual(
      (head as WriteTimeoutError).withdrawn ? 0 : 1,
    );
    expect(countMessage(dbPath, "after the lock")).toBe(1);
  });

  it("an entry whose write is in flight times out and is then written exactly once", async () => {
    const { storage, dbPath } = await open("timeout-inflight", {
      busyTimeoutMs: 5000, // the write waits inside SQLite's busy handler, past the timeout
      writeTimeoutMs: 300,
    });
    await storage.store({ message: "before the lock" });
    const lock = await holdWriteLock(dbPath, 1200);
    const error = await storage.store({ message: "stalled-inflight" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WriteTimeoutError);
    expect((error as WriteTimeoutError).withdrawn).toBe(false);
    await lock.released;
    await storage.close();
    // The promise rejected, the batch then committed: once, not twice (no retry of a committed batch).
    expect(countMessage(dbPath, "stalled-inflight")).toBe(1);
  });
});
