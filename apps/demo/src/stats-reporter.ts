// A periodic pino line with what the batch writer did since the previous line, skipped for an
// interval in which nothing happened.
import type { LogService } from "@batchlog/service";
import type { LogStorage, StorageStats } from "@batchlog/storage";
import type { Logger } from "pino";

export interface StatsReporter {
  /** Logs a last line (for the final interval) and stops. */
  stop(): void;
}

export function startStatsReporter(
  storage: LogStorage,
  service: LogService,
  logger: Logger,
  intervalMs: number,
): StatsReporter {
  if (intervalMs <= 0) return { stop() {} };
  let previous = storage.stats();
  let previousAt = performance.now();
  const report = () => {
    const now = performance.now();
    const current = storage.stats();
    const line = batchStatistics(previous, current, (now - previousAt) / 1000, service);
    // An idle server says nothing: a line of zeros a minute is noise in the operator's logs.
    if (!isIdle(line)) logger.info(line, "batch statistics");
    previous = current;
    previousAt = now;
  };
  const timer = setInterval(report, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      report();
    },
  };
}

export function batchStatistics(
  before: StorageStats,
  after: StorageStats,
  seconds: number,
  service?: LogService,
) {
  const stored = after.entriesStored - before.entriesStored;
  const batches = after.batches - before.batches;
  return {
    intervalSeconds: Math.round(seconds * 10) / 10,
    stored,
    perSecond: seconds > 0 ? Math.round(stored / seconds) : 0,
    batches,
    avgBatchSize: batches > 0 ? Math.round((stored / batches) * 10) / 10 : 0,
    failed: after.entriesFailed - before.entriesFailed,
    rejected: after.entriesRejected - before.entriesRejected,
    retries: after.retries - before.retries,
    queueDepth: after.queueDepth,
    queueCapacity: after.queueCapacity,
    commitMsP50: round(after.commitLatencyMs.p50),
    commitMsP99: round(after.commitLatencyMs.p99),
    enqueueToCommitMsP99: round(after.enqueueToCommitMs.p99),
    walBytes: after.walBytes,
    consecutiveFailures: after.consecutiveFailures,
    ...(service !== undefined && { tailSubscribers: service.stats().tailSubscribers }),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

function isIdle(line: ReturnType<typeof batchStatistics>): boolean {
  return (
    line.stored === 0 &&
    line.batches === 0 &&
    line.failed === 0 &&
    line.rejected === 0 &&
    line.retries === 0 &&
    line.queueDepth === 0 &&
    line.consecutiveFailures === 0
  );
}
