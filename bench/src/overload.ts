import { readdirSync, readFileSync } from "node:fs";
import { openLogStorage, QueueFullError } from "@batchlog/storage";
import Database from "libsql";
import { EntryPool } from "./fixtures.js";
import { formatRate } from "./stats.js";

const BURST = 100;
const MB = 1024 * 1024;

export interface OverloadOptions {
  path: string;
  /** Entries per second to offer, whatever the store manages. */
  offered: number;
  durationMs: number;
  queueCapacity: number;
  /** Search once before the load, so that a reader process (started by the first read) is running. */
  withReader?: boolean;
}

export interface OverloadResult {
  issued: number;
  stored: number;
  rejectedQueueFull: number;
  otherErrors: number;
  firstOtherError?: string;
  offeredWindowMs: number;
  elapsedMs: number;
  baselineRssMb: number;
  baselineHeapMb: number;
  peakRssMb: number;
  peakHeapMb: number;
  peakQueueDepth: number;
  /** Entries acknowledged while the offered window was open. */
  storedInWindow: number;
  /** Heap after a full GC at the end of the window, with `queueAtEnd` entries queued. */
  liveHeapAtEndMb: number;
  queueAtEnd: number;
  rowsOnDisk: number;
  /** Resolved ids that are not rows: must be 0. */
  missing: number;
  /** Rows nobody saw acknowledged (e.g. committed after a write timeout). */
  unacknowledged: number;
}

/**
 * The ids resolved so far, one bit each: the generator's own bookkeeping must not weigh on the
 * RSS being measured (a number array of 4M ids alone is 32 MB, and twice that while it grows).
 */
class IdSet {
  #bits = new Uint8Array(1 << 20);
  size = 0;

  add(id: number): void {
    const byte = id >>> 3;
    if (byte >= this.#bits.length) {
      const grown = new Uint8Array(Math.max(this.#bits.length * 2, byte + 1));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    const mask = 1 << (id & 7);
    if ((this.#bits[byte]! & mask) === 0) this.size++;
    this.#bits[byte]! |= mask;
  }

  has(id: number): boolean {
    const byte = id >>> 3;
    return byte < this.#bits.length && (this.#bits[byte]! & (1 << (id & 7))) !== 0;
  }
}

/** Every resolved id must be a row; rows nobody was told about are counted apart. */
function verify(path: string, resolved: IdSet): { rows: number; missing: number; unacknowledged: number } {
  const db = new Database(path, { readonly: true });
  try {
    let rows = 0;
    let found = 0;
    for (const row of db.prepare("SELECT id FROM log_entries ORDER BY id").raw().iterate()) {
      rows++;
      if (resolved.has(Number((row as unknown[])[0]))) found++;
    }
    return { rows, missing: resolved.size - found, unacknowledged: rows - found };
  } finally {
    db.close();
  }
}

/**
 * Open-loop overload: 100-entry storeEach() calls (what POST /api/logs does) issued on the clock
 * at `offered` entries/s; samples RSS, heap and queue depth every 100 ms; after close(), checks
 * that every resolved id is on disk.
 */
export async function runOverload(
  options: OverloadOptions,
  progress: (message: string) => void,
): Promise<OverloadResult> {
  const storage = await openLogStorage({ url: `file:${options.path}`, queueCapacity: options.queueCapacity });
  const pool = new EntryPool();
  if (options.withReader) await storage.search({ limit: 1 });
  globalThis.gc?.();
  const baselineRss = treeRss(process.memoryUsage.rss());
  const baselineHeap = process.memoryUsage().heapUsed;
  const resolved = new IdSet();
  let rejectedQueueFull = 0;
  let otherErrors = 0;
  let firstOtherError: string | undefined;
  let issued = 0;
  let peakRss = baselineRss;
  let peakHeap = baselineHeap;
  let peakQueueDepth = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, treeRss(usage.rss));
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    peakQueueDepth = Math.max(peakQueueDepth, storage.health().queue.depth);
  };
  const sampler = setInterval(sample, 100);
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  let offeredWindowMs = options.durationMs;
  let storedInWindow = 0;
  let liveHeapAtEnd = 0;
  let queueAtEnd = 0;
  let lastReport = started;
  try {
    for (;;) {
      const now = performance.now();
      const elapsed = now - started;
      if (elapsed >= options.durationMs) break;
      // Open loop: send what the clock says is due, whatever happened to earlier calls.
      const due = Math.min(Math.floor((options.offered * elapsed) / 1000) - issued, 20 * BURST);
      for (let n = 0; n + BURST <= due; n += BURST) {
        issued += BURST;
        const call = storage.storeEach(pool.take(BURST)).then((results) => {
          for (const r of results) {
            if (r.status === "fulfilled") resolved.add(r.value);
            else if (r.reason instanceof QueueFullError) rejectedQueueFull++;
            else {
              otherErrors++;
              firstOtherError ??= String(r.reason);
            }
          }
        });
        pending.add(call);
        void call.finally(() => pending.delete(call));
      }
      if (now - lastReport > 2000) {
        lastReport = now;
        progress(
          `  ${(elapsed / 1000).toFixed(0)} s: issued ${issued}, stored ${resolved.size}, rejected ${rejectedQueueFull}, queue ${storage.stats().queueDepth}, rss ${(process.memoryUsage.rss() / MB).toFixed(0)} MB`,
        );
      }
      // A timer, not setImmediate: spinning would burn a core the writer thread needs.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    offeredWindowMs = performance.now() - started;
    storedInWindow = resolved.size;
    // A full GC with the queue still full separates what the queue holds from garbage.
    sample();
    globalThis.gc?.();
    liveHeapAtEnd = process.memoryUsage().heapUsed;
    queueAtEnd = storage.stats().queueDepth;
    await Promise.all(pending);
  } finally {
    sample();
    clearInterval(sampler);
    await storage.close();
  }
  const elapsedMs = performance.now() - started;
  progress(
    `verifying ${resolved.size} resolved ids against the file (stored ${formatRate((resolved.size / elapsedMs) * 1000)})`,
  );
  const check = verify(options.path, resolved);
  const result: OverloadResult = {
    issued,
    stored: resolved.size,
    rejectedQueueFull,
    otherErrors,
    offeredWindowMs,
    elapsedMs,
    baselineRssMb: baselineRss / MB,
    baselineHeapMb: baselineHeap / MB,
    peakRssMb: peakRss / MB,
    peakHeapMb: peakHeap / MB,
    peakQueueDepth,
    storedInWindow,
    liveHeapAtEndMb: liveHeapAtEnd / MB,
    queueAtEnd,
    rowsOnDisk: check.rows,
    missing: check.missing,
    unacknowledged: check.unacknowledged,
  };
  if (firstOtherError !== undefined) result.firstOtherError = firstOtherError;
  return result;
}

/**
 * This process's RSS plus its child processes' (the storage's reader processes): what the store
 * costs in memory. Linux /proc; elsewhere the process alone.
 */
function treeRss(ownRss: number): number {
  let total = ownRss;
  for (const pid of childPids()) {
    try {
      const resident = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
      if (Number.isFinite(resident)) total += resident * PAGE_BYTES;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

const PAGE_BYTES = 4096;

function childPids(): number[] {
  try {
    return readdirSync("/proc/self/task").flatMap((task) =>
      readFileSync(`/proc/self/task/${task}/children`, "utf8").split(" ").filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}
