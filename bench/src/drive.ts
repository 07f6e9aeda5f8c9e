import type { LogStorage } from "@batchlog/storage";
import type { EntryPool } from "./fixtures.js";
import type { LatencyLog } from "./stats.js";

export interface DriveOptions {
  storage: LogStorage;
  pool: EntryPool;
  /** Concurrent producers; each awaits its call before the next (closed loop). */
  producers: number;
  /** 1: each producer awaits one `store()`; n: awaits `storeMany()` of n entries (an HTTP request). */
  burstSize: number;
  /** Stop after this many entries... */
  totalEntries?: number;
  /** ...or after this long. */
  durationMs?: number;
  /** Set `stopped` to end a run started without a size or duration (background ingestion). */
  signal?: { stopped: boolean };
  /** Per-call latency (call to resolved ids), in ms: per entry when burstSize is 1, else per burst. */
  latencies?: LatencyLog;
}

export interface DriveResult {
  entries: number;
  elapsedMs: number;
  /** Entries per second with every id awaited. */
  rate: number;
  errors: number;
  firstError?: string;
}

/**
 * Closed-loop producers: throughput is what the store sustains with every id awaited,
 * from the first call to the last resolved promise.
 */
export async function drive(options: DriveOptions): Promise<DriveResult> {
  const { storage, pool, producers, burstSize, latencies } = options;
  const total = options.totalEntries ?? Number.POSITIVE_INFINITY;
  const started = performance.now();
  const deadline = started + (options.durationMs ?? Number.POSITIVE_INFINITY);
  let issued = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;

  const producer = async () => {
    while (issued < total && performance.now() < deadline && options.signal?.stopped !== true) {
      const count = Math.min(burstSize, total - issued);
      issued += count;
      const t0 = performance.now();
      try {
        if (count === 1) await storage.store(pool.next());
        else await storage.storeMany(pool.take(count));
        latencies?.push(performance.now() - t0);
        done += count;
      } catch (error) {
        errors += count;
        firstError ??= String((error as Error).message ?? error);
      }
    }
  };
  await Promise.all(Array.from({ length: producers }, producer));
  const elapsedMs = performance.now() - started;
  const result: DriveResult = { entries: done, elapsedMs, rate: (done / elapsedMs) * 1000, errors };
  if (firstError !== undefined) result.firstError = firstError;
  return result;
}
