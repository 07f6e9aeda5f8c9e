// A periodic pino line with what the batch writer did since the previous line, skipped for an
// interval in which nothing happened.
import type { LogService, LogServiceStats } from "@batchlog/service";
import type { LogStorage, StorageStats } from "@batchlog/storage";
import type { Logger } from "pino";
import { IntervalPercentiles } from "./interval-percentiles.js";

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
  let previous = snapshot(storage, service);
  let previousAt = performance.now();
  const latencies: IntervalLatencies = {
    commit: new IntervalPercentiles(),
    enqueueToCommit: new IntervalPercentiles(),
  };
  const stopBatches = storage.onBatch((batch) => {
    latencies.commit.record(batch.commitMs);
    for (const ms of batch.enqueueToCommitMs) latencies.enqueueToCommit.record(ms);
  });
  const report = () => {
    const now = performance.now();
    const current = snapshot(storage, service);
    const line = batchStatistics(previous, current, (now - previousAt) / 1000, latencies);
    // An idle server says nothing: a line of zeros a minute is noise in the operator's logs.
    if (!isIdle(line)) logger.info(line, "batch statistics");
    previous = current;
    previousAt = now;
    latencies.commit.reset();
    latencies.enqueueToCommit.reset();
  };
  const timer = setInterval(report, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      stopBatches();
      report();
    },
  };
}

interface Snapshot {
  storage: StorageStats;
  service: LogServiceStats | undefined;
}

/** This interval's commit and enqueue-to-commit times (not the storage's last few thousand). */
interface IntervalLatencies {
  commit: IntervalPercentiles;
  enqueueToCommit: IntervalPercentiles;
}

function snapshot(storage: LogStorage, service: LogService | undefined): Snapshot {
  return { storage: storage.stats(), service: service?.stats() };
}

/**
 * Entries refused, as batchlog_entries_rejected_total counts them: the storage's refusals, with
 * the service's own checks (invalid items, too old, too new) in place of the storage's
 * validation count. The storage's figure alone left out every item refused before the storage.
 */
function rejectedTotal({ storage, service }: Snapshot): number {
  let total = 0;
  for (const [reason, n] of Object.entries(storage.rejectedByReason)) {
    total += reason === "validation" && service !== undefined ? service.invalid : n;
  }
  if (service !== undefined) total += service.tooOld + service.tooNew;
  return total;
}

export function batchStatistics(
  previous: Snapshot,
  current: Snapshot,
  seconds: number,
  latencies: IntervalLatencies,
) {
  const before = previous.storage;
  const after = current.storage;
  const stored = after.entriesStored - before.entriesStored;
  const batches = after.batches - before.batches;
  return {
    intervalSeconds: Math.round(seconds * 10) / 10,
    stored,
    perSecond: seconds > 0 ? Math.round(stored / seconds) : 0,
    batches,
    avgBatchSize: batches > 0 ? Math.round((stored / batches) * 10) / 10 : 0,
    failed: after.entriesFailed - before.entriesFailed,
    rejected: rejectedTotal(current) - rejectedTotal(previous),
    retries: after.retries - before.retries,
    queueDepth: after.queueDepth,
    queueCapacity: after.queueCapacity,
    commitMsP50: round(latencies.commit.percentile(0.5)),
    commitMsP99: round(latencies.commit.percentile(0.99)),
    commitMsMax: round(latencies.commit.max),
    enqueueToCommitMsP99: round(latencies.enqueueToCommit.percentile(0.99)),
    enqueueToCommitMsMax: round(latencies.enqueueToCommit.max),
    walBytes: after.walBytes,
    consecutiveFailures: after.consecutiveFailures,
    ...(current.service !== undefined && { tailSubscribers: current.service.tailSubscribers }),
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
