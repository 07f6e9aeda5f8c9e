import { statfsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { LatencyRecorder } from "./latency-recorder.js";
import type { StorageStats } from "./types.js";

export type RejectReason = "queue_full" | "closed" | "validation" | "timeout" | "unavailable";

/** Counters and recent-latency windows behind `stats()`, shared by both storages. */
export class StorageMetrics {
  entriesEnqueued = 0;
  entriesStored = 0;
  entriesFailed = 0;
  entriesDeleted = 0;
  entriesErased = 0;
  batches = 0;
  retries = 0;
  consecutiveFailures = 0;
  /** When the current run of consecutive write failures began; null while writes succeed. */
  failingSince: Date | null = null;
  lastCommitAt: Date | null = null;
  lastError: StorageStats["lastError"] = null;
  readonly rejected: Record<RejectReason, number> = {
    queue_full: 0,
    closed: 0,
    validation: 0,
    timeout: 0,
    unavailable: 0,
  };
  readonly batchSize = new LatencyRecorder(1024);
  readonly commitLatencyMs = new LatencyRecorder(1024);
  readonly enqueueToCommitMs = new LatencyRecorder(8192);

  reject(reason: RejectReason, count = 1): void {
    this.rejected[reason] += count;
  }

  /** A write failed for a reason other than its content (the database, not the entry). */
  writeFailed(): void {
    if (this.consecutiveFailures === 0) this.failingSince = new Date();
    this.consecutiveFailures++;
  }

  /** A write succeeded: the failure run, if any, is over. */
  writeSucceeded(): void {
    this.consecutiveFailures = 0;
    this.failingSince = null;
  }

  failure(error: { message: string; code?: string | undefined }): void {
    this.lastError = {
      message: error.message,
      at: new Date(),
      ...(error.code !== undefined && { code: error.code }),
    };
  }

  snapshot(
    implementation: StorageStats["implementation"],
    queue: { depth: number; capacity: number; bytes: number; capacityBytes: number },
    files: { database: string | null; reserve: string | null },
    backgroundCheckpoints: StorageStats["backgroundCheckpoints"] = null,
  ): StorageStats {
    return {
      implementation,
      entriesEnqueued: this.entriesEnqueued,
      entriesStored: this.entriesStored,
      entriesFailed: this.entriesFailed,
      entriesRejected: Object.values(this.rejected).reduce((a, b) => a + b, 0),
      entriesDeleted: this.entriesDeleted,
      entriesErased: this.entriesErased,
      rejectedByReason: { ...this.rejected },
      batches: this.batches,
      retries: this.retries,
      consecutiveFailures: this.consecutiveFailures,
      queueDepth: queue.depth,
      queueCapacity: queue.capacity,
      queueBytes: queue.bytes,
      queueCapacityBytes: queue.capacityBytes,
      batchSize: this.batchSize.summary(),
      commitLatencyMs: this.commitLatencyMs.summary(),
      enqueueToCommitMs: this.enqueueToCommitMs.summary(),
      databaseBytes: files.database === null ? null : fileSize(files.database),
      walBytes: files.database === null ? null : fileSize(`${files.database}-wal`),
      diskReserveBytes: files.reserve === null ? null : fileSize(files.reserve),
      diskFreeBytes: files.database === null ? null : freeBytes(dirname(files.database)),
      backgroundCheckpoints,
      lastCommitAt: this.lastCommitAt,
      lastError: this.lastError,
    };
  }
}

/** Space an unprivileged writer can still use on the volume holding `dir` (null if unknown). */
function freeBytes(dir: string): number | null {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return null;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
