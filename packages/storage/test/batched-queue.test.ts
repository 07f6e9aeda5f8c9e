import { afterAll, afterEach, describe, expect, it } from "vitest";
import { pastHighWater } from "../src/high-water.js";
import {
  type BatchConfigInput,
  type LogStorage,
  openLogStorage,
  QueueFullError,
  StorageClosedError,
} from "../src/index.js";
import { countRowsInFile } from "./contract.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

let storage: LogStorage | undefined;
let url = "";
let n = 0;
async function open(config: BatchConfigInput = {}): Promise<LogStorage> {
  url = temp.url(`queue-${++n}.db`);
  storage = await openLogStorage({ url, ...config });
  return storage;
}
afterEach(async () => {
  await storage?.close();
  storage = undefined;
});

const msg = (i: number) => ({ message: `m${i}`, source: `p${i % 64}` });
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("batch shapes", () => {
  it("cuts batches at maxBatchSize when entries arrive faster than they commit", async () => {
    const s = await open({ maxBatchSize: 100, maxBatchDelayMs: 1000 });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => s.store(msg(i))));
    const { batchSize, batches } = s.stats();
    expect(batches).toBe(10);
    expect(batchSize.max).toBe(100);
    expect(batchSize.p50).toBe(100);
  });

  it("cuts batches at maxBatchDelayMs while producers keep adding entries", async () => {
    const s = await open({ maxBatchSize: 32_000, maxBatchDelayMs: 40, fullText: false });
    const pending: Promise<number>[] = [];
    const started = performance.now();
    let i = 0;
    // one entry every event-loop turn for 400 ms (at most 15k, well inside the queue): never a
    // quiet turn, never a full batch, never half a batch waiting at a COMMIT (that is sent at once)
    while (performance.now() < started + 400 && i < 15_000) {
      pending.push(s.store(msg(i++)));
      await nextTurn();
    }
    await Promise.all(pending);
    const elapsed = performance.now() - started;
    const { batches, batchSize } = s.stats();
    // no batch is cut before its oldest entry waited 40 ms: at most elapsed/40 batches (+1 for
    // the last); each holds many entries. (A loaded machine makes commits slower, so fewer,
    // larger batches — only the upper bound is about the delay.)
    expect(batches).toBeGreaterThanOrEqual(2);
    expect(batches).toBeLessThanOrEqual(Math.ceil(elapsed / 40) + 1);
    expect(batchSize.max).toBeGreaterThan(10);
    expect(batches).toBeLessThan(i / 5);
  });

  it("writes at once when producers pause and the writer is idle (no added latency)", async () => {
    const s = await open({ maxBatchSize: 1000, maxBatchDelayMs: 5000 });
    const started = performance.now();
    await s.storeMany([msg(1), msg(2), msg(3)]);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(s.stats().batches).toBe(1);
    expect(s.stats().batchSize.max).toBe(3);
  });
});

describe("a call's entries in one transaction", () => {
  it("does not cut a batch through a storeMany that fits one, and cuts one that does not", async () => {
    const s = await open({ maxBatchSize: 1000, maxBatchDelayMs: 1000, fullText: false });
    const sizes: number[] = [];
    s.onBatch((batch) => sizes.push(batch.size));
    const many = (count: number, tag: string) =>
      s.storeMany(Array.from({ length: count }, (_, i) => ({ message: `${tag} ${i}` })));
    // queued together before the writer takes any: 500 + 600 would be cut at 1000, inside the second
    await Promise.all([many(500, "a"), many(600, "b"), many(2500, "c")]);
    expect(sizes).toEqual([500, 600, 1000, 1000, 500]);
  });
});

describe("concurrency", () => {
  it("gives 10,000 concurrent store() calls from 64 producers distinct, increasing ids, all stored", async () => {
    const s = await open();
    const perProducer = 10_000 / 64;
    const acknowledged: number[][] = await Promise.all(
      Array.from({ length: 64 }, async (_, p) => {
        const ids: number[] = [];
        for (let k = 0; k < Math.ceil(perProducer) && p * Math.ceil(perProducer) + k < 10_000; k++) {
          ids.push(await s.store(msg(p * 1000 + k)));
        }
        return ids;
      }),
    );
    const all = acknowledged.flat();
    expect(all).toHaveLength(10_000);
    expect(new Set(all).size).toBe(10_000);
    // each producer sees its own ids increase (commit order)
    for (const ids of acknowledged)
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    await s.close();
    expect(countRowsInFile(url)).toBe(10_000);
  });

  it("hands the next full batch to the writer thread before settling the one that just committed", async () => {
    const s = await open({ maxBatchSize: 100, maxBatchDelayMs: 1000 });
    const all = Array.from({ length: 300 }, (_, i) => s.store(msg(i)));
    // The first id to resolve belongs to batch 1. Hold the event loop right there, inside its
    // settlement, and watch the file from another connection: batch 2 can only commit meanwhile
    // if it was already with the writer thread (the old loop sent it after settling).
    const rowsSeenWhileSettling = await Promise.race(all).then(() => {
      const deadline = performance.now() + 10_000;
      let rows = countRowsInFile(url);
      while (rows < 200 && performance.now() < deadline) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        rows = countRowsInFile(url);
      }
      return rows;
    });
    expect(rowsSeenWhileSettling).toBe(200);
    expect(new Set(await Promise.all(all)).size).toBe(300);
    expect(s.stats().batches).toBe(3);
  });

  it("keeps less than half a batch back until the committed one is settled, to merge with what its callers add", async () => {
    const s = await open({ maxBatchSize: 100, maxBatchDelayMs: 1000 });
    const first = Array.from({ length: 140 }, (_, i) => s.store(msg(i)));
    let more: Promise<number>[] = [];
    const rowsSeenWhileSettling = await Promise.race(first).then(() => {
      // batch 1 (100) committed; 40 wait. Were they sent now, they would commit within this wait.
      const until = performance.now() + 500;
      while (performance.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      const rows = countRowsInFile(url);
      // what the settled callers would add next joins the 40 in one batch
      more = Array.from({ length: 60 }, (_, i) => s.store(msg(1000 + i)));
      return rows;
    });
    expect(rowsSeenWhileSettling).toBe(100);
    await Promise.all([...first, ...more]);
    expect(s.stats().batches).toBe(2);
  });

  it("serves a search from the last committed snapshot while a 5,000-entry batch commits", async () => {
    const s = await open({ maxBatchSize: 5000, maxBatchDelayMs: 0 });
    await s.storeMany([msg(-1), msg(-2)]);
    await s.search({ limit: 1 }); // the reader thread starts with the first read: not inside the timing
    let committed = false;
    const batch = Promise.all(
      Array.from({ length: 5000 }, (_, i) => s.store({ ...msg(i), message: `bulk ${i} ${"x".repeat(200)}` })),
    );
    void batch.then(() => {
      committed = true;
    });
    // let the processor hand the batch to the writer thread
    while (s.stats().queueDepth === 0) await nextTurn();
    await nextTurn();
    const started = performance.now();
    const page = await s.search({ limit: 1000 });
    const took = performance.now() - started;
    expect(committed).toBe(false);
    expect(page.entries).toHaveLength(2);
    await batch;
    expect((await s.search({ limit: 1000 })).entries.length).toBe(1000);
    expect(took).toBeLessThan(s.stats().commitLatencyMs.max);
  });
});

describe("backpressure", () => {
  it("rejects at once with QueueFullError and a retry hint when the queue is full (whenFull: reject)", async () => {
    const s = await open({ queueCapacity: 50, whenFull: "reject" });
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => s.store(msg(i))));
    const rejected = results
      .filter((r) => r.status === "rejected")
      .map((r) => (r as PromiseRejectedResult).reason);
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    expect(fulfilled.length).toBeGreaterThanOrEqual(50);
    expect(rejected.length).toBeGreaterThan(0);
    for (const error of rejected) {
      expect(error).toBeInstanceOf(QueueFullError);
      expect((error as QueueFullError).retryAfterMs).toBeGreaterThan(0);
    }
    expect(s.stats().rejectedByReason.queue_full).toBe(rejected.length);
    await s.close();
    expect(countRowsInFile(url)).toBe(fulfilled.length);
  });

  it("bounds the queue in bytes too, so large entries cannot grow memory past queueCapacityBytes", async () => {
    // 20 KB messages, room for ~10 of them: the entry count (100000) never binds
    // (smaller entry limits, so that so small a queue is valid: it must hold one largest entry)
    const s = await open({ queueCapacityBytes: 210_000, maxMessageBytes: 24_000, maxFieldsBytes: 1024 });
    const big = (i: number) => ({ message: `${i} ${"x".repeat(20_000)}` });
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => s.store(big(i))));
    const rejected = results
      .filter((r) => r.status === "rejected")
      .map((r) => (r as PromiseRejectedResult).reason);
    const stored = results.filter((r) => r.status === "fulfilled").length;
    expect(stored).toBeGreaterThanOrEqual(10);
    expect(rejected.length).toBeGreaterThan(0);
    for (const error of rejected) {
      expect(error).toBeInstanceOf(QueueFullError);
      expect((error as Error).message).toMatch(/queueCapacityBytes/);
    }
    // everything committed gives its bytes back
    expect(s.stats().queueBytes).toBe(0);
    expect(await s.store(big(1000))).toBeGreaterThan(0);
    await s.close();
    expect(countRowsInFile(url)).toBe(stored + 1);
  });

  it("refuses a storeEach that cannot fit before encoding any of its entries", async () => {
    const s = await open({ queueCapacity: 10, maxBatchSize: 1 });
    const filling = Array.from({ length: 10 }, (_, i) => s.store(msg(i)));
    const results = await s.storeEach([msg(100), { message: "x", level: "not-a-level" }]);
    // the invalid entry was never validated: the whole call was refused up front
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(QueueFullError);
    expect(s.stats().rejectedByReason.queue_full).toBe(2);
    expect(s.stats().rejectedByReason.validation).toBe(0);
    await Promise.all(filling);
  });

  it("marks a call larger than the whole queue (entries or bytes) as one that never fits", async () => {
    const s = await open({
      queueCapacity: 50,
      queueCapacityBytes: 12_000,
      maxMessageBytes: 1024,
      maxFieldsBytes: 256,
    });
    const wide = (n: number) => Array.from({ length: n }, (_, i) => ({ message: `${i} ${"y".repeat(300)}` }));
    const byBytes = await s.storeEach(wide(40)); // ~40 × 470 B > 12,000 B, although 40 ≤ 50 entries
    const byCount = await s.storeEach(wide(51).map((e) => ({ message: e.message.slice(0, 5) })));
    for (const results of [byBytes, byCount]) {
      const reason = (results[0] as PromiseRejectedResult).reason as QueueFullError;
      expect(reason).toBeInstanceOf(QueueFullError);
      expect(reason.neverFits).toBe(true);
      expect(reason.message).toMatch(/larger than the whole queue .*: split it/);
    }
    // a call that fits is stored
    expect((await s.storeEach(wide(10))).every((r) => r.status === "fulfilled")).toBe(true);
    await s.close();
    expect(countRowsInFile(url)).toBe(10);
  });

  it("enqueueEach queues all or none: a call that does not fit is refused whole, nothing of it stored", async () => {
    const s = await open({ queueCapacity: 10, maxBatchDelayMs: 1000 });
    const first = s.enqueueEach(Array.from({ length: 8 }, (_, i) => msg(i)));
    const second = s.enqueueEach(Array.from({ length: 5 }, (_, i) => msg(100 + i)));
    await expect(second).rejects.toBeInstanceOf(QueueFullError);
    const queued = await first;
    expect(queued.refused.size).toBe(0);
    const results = await queued.committed;
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    await s.close();
    expect(countRowsInFile(url)).toBe(8);
    expect(s.stats().rejectedByReason.queue_full).toBe(5);
  });

  it("enqueueEach with whenFull: wait resolves once the entries are queued, not before", async () => {
    // one-entry fsync'ed batches: the 3 entries wait for room behind the 2 queued
    const s = await open({ queueCapacity: 2, whenFull: "wait", enqueueTimeoutMs: 30_000, maxBatchSize: 1 });
    const filling = s.storeMany([msg(1), msg(2)]);
    let queuedAt = 0;
    const queued = s.enqueueEach([msg(3), msg(4)]).then((q) => {
      queuedAt = s.stats().entriesStored;
      return q;
    });
    await filling;
    const results = await (await queued).committed;
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    // it resolved only after room was made, i.e. after at least one of the first two committed
    expect(queuedAt).toBeGreaterThanOrEqual(1);
    await s.close();
    // more entries than the whole queue holds: refused, however long it waits
    const small = await open({ queueCapacity: 1, whenFull: "wait", enqueueTimeoutMs: 50, maxBatchSize: 1 });
    await expect(small.enqueueEach([msg(10), msg(11)])).rejects.toBeInstanceOf(QueueFullError);
    await small.close();
    expect(countRowsInFile(url)).toBe(0);
  });

  it("waits for room with whenFull: wait, and stores everything", async () => {
    const s = await open({ queueCapacity: 50, whenFull: "wait", enqueueTimeoutMs: 30_000 });
    const ids = await Promise.all(Array.from({ length: 1000 }, (_, i) => s.store(msg(i))));
    expect(new Set(ids).size).toBe(1000);
    expect(s.stats().entriesRejected).toBe(0);
  });

  it("gives up waiting after enqueueTimeoutMs with QueueFullError", async () => {
    // a writer that cannot keep up: one-entry batches, each a full fsync'ed transaction
    const s = await open({ queueCapacity: 1, whenFull: "wait", enqueueTimeoutMs: 1, maxBatchSize: 1 });
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => s.store(msg(i))));
    const reasons = results
      .filter((r) => r.status === "rejected")
      .map((r) => (r as PromiseRejectedResult).reason);
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.every((e) => e instanceof QueueFullError)).toBe(true);
  });

  it("rejects waiters with StorageClosedError when closed", async () => {
    const s = await open({ queueCapacity: 1, whenFull: "wait", maxBatchSize: 1 });
    const results = Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.store(msg(i))));
    await s.close();
    const settled = await results;
    const reasons = settled
      .filter((r) => r.status === "rejected")
      .map((r) => (r as PromiseRejectedResult).reason);
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.every((e) => e instanceof StorageClosedError)).toBe(true);
    expect(countRowsInFile(url)).toBe(settled.filter((r) => r.status === "fulfilled").length);
  });
});

describe("health", () => {
  it("is degraded when the queue is nearly full", async () => {
    const s = await open({ queueCapacity: 10, maxBatchSize: 1 });
    const pending = Array.from({ length: 10 }, (_, i) => s.store(msg(i)));
    expect(s.health().status).toBe("degraded");
    expect(s.health().reasons.join()).toMatch(/queue \d+% full/);
    await Promise.all(pending);
    expect(s.health().status).toBe("ok");
  });

  it("stays degraded until the queue is back under 70%, so that /readyz does not flap around 90%", () => {
    const shares = [0.5, 0.89, 0.9, 0.85, 0.92, 0.71, 0.7, 0.69, 0.8, 0.89, 0.95];
    let past = false;
    const seen = shares.map((share) => (past = pastHighWater(past, share)));
    expect(seen).toEqual([false, false, true, true, true, true, true, false, false, false, true]);
  });
});
