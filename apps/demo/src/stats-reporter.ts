// A periodic pino line with what the batch writer did since the previous line.
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
    logger.info(batchStatistics(previous, current, (now - previousAt) / 1000, service), "batch statistics");
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
