import { callListener } from "./call-listener.js";
import { toDriverErrorInfo } from "./classify-error.js";
import { countingDeletes, releaseFreePages, runCleanup } from "./cleanup.js";
import { CommitListeners } from "./commit-listeners.js";
import type { BatchConfig } from "./config.js";
import type { OpenedDatabase } from "./database.js";
import { StorageClosedError, StorageUnavailableError, ValidationError } from "./errors.js";
import type { LogReads } from "./log-reader.js";
import { StorageMetrics } from "./storage-metrics.js";
import type {
  BatchEvent,
  BatchListener,
  BucketCount,
  BucketQuery,
  CleanupPolicy,
  CommitListener,
  CommittedAfter,
  CommittedAfterQuery,
  ContextQuery,
  EntryContext,
  LogEntry,
  SearchPage,
  SearchQuery,
} from "./types.js";
import { validateCleanupPolicy } from "./validate-cleanup.js";
import type { BatchWriter } from "./writers/batch-writer.js";

/** Ids one deleteEntries() call takes: one transaction, a JSON array of ~150 KB at most. */
export const MAX_DELETE_IDS = 10_000;

export interface StorageParts {
  config: BatchConfig;
  opened: OpenedDatabase;
  reader: LogReads;
}

/**
 * What both storages share: reads on the reader connection, cleanup on the writer, commit and
 * batch listeners, counters. The subclasses differ only in how they write.
 */
export abstract class LogStorageBase {
  protected readonly config: BatchConfig;
  protected readonly opened: OpenedDatabase;
  protected readonly reader: LogReads;
  protected readonly metrics = new StorageMetrics();
  protected readonly commitListeners: CommitListeners;
  readonly #batchListeners = new Set<BatchListener>();
  readonly #cleanups = new Set<Promise<number>>();

  constructor(parts: StorageParts) {
    this.config = parts.config;
    this.opened = parts.opened;
    this.reader = parts.reader;
    this.commitListeners = new CommitListeners(parts.config.logger);
  }

  /** True once close() has begun: reads and writes reject with StorageClosedError. */
  protected abstract get isClosed(): boolean;
  /** The connection cleanup deletes through (the single writer). */
  protected abstract get cleanupWriter(): BatchWriter;

  search(query: SearchQuery): Promise<SearchPage> {
    return this.whileOpen(() => this.reader.search(query));
  }

  getRecent(limit: number): Promise<LogEntry[]> {
    return this.whileOpen(() => this.reader.getRecent(limit));
  }

  countByBucket(query: BucketQuery): Promise<BucketCount[]> {
    return this.whileOpen(() => this.reader.countByBucket(query));
  }

  committedAfter(query: CommittedAfterQuery): Promise<CommittedAfter> {
    return this.whileOpen(() => this.reader.committedAfter(query));
  }

  context(query: ContextQuery): Promise<EntryContext | null> {
    return this.whileOpen(() => this.reader.context(query));
  }

  /** Stops after its current chunk once close() begins (see cleanupsStopped). */
  cleanup(policy: CleanupPolicy): Promise<number> {
    return this.whileOpen(() => {
      validateCleanupPolicy(policy);
      // Counted as each chunk commits: a run deleting a million rows takes a while, and the count
      // (stats, the demo's metric) should say what the database holds while it runs.
      const deletes = countingDeletes(this.cleanupWriter, (rows) => {
        this.metrics.entriesDeleted += rows;
      });
      const run = runCleanup(deletes, this.reader, policy, {
        logger: this.config.logger,
        stopped: () => this.isClosed,
      });
      return this.#untilClose(run);
    });
  }

  deleteEntries(ids: readonly number[]): Promise<number> {
    return this.whileOpen(() => {
      if (
        !Array.isArray(ids) ||
        ids.length > MAX_DELETE_IDS ||
        !ids.every((id) => Number.isSafeInteger(id))
      ) {
        throw new ValidationError("ids", `must be an array of at most ${MAX_DELETE_IDS} integer ids`);
      }
      if (ids.length === 0) return Promise.resolve(0);
      const run = this.cleanupWriter.deleteChunk({ kind: "ids", ids }, ids.length).then(
        async (rows) => {
          this.metrics.entriesErased += rows;
          await this.#releaseAfterErase();
          return rows;
        },
        (error: unknown) => {
          // the database failed (full, busy, I/O), not the request: typed, so that HTTP answers
          // 503 with Retry-After instead of an internal error; nothing of this chunk was deleted
          throw new StorageUnavailableError(`erasing failed: ${toDriverErrorInfo(error).message}`, {
            cause: error,
          });
        },
      );
      return this.#untilClose(run);
    });
  }

  /**
   * An erase's pages go back to the filesystem at once: no retention run may follow to release
   * them. No checkpoint of its own (one per 1000-id call made a 360k-row erase 46% slower): the
   * next one shrinks the file. Logged, not thrown: the rows are deleted either way.
   */
  async #releaseAfterErase(): Promise<void> {
    if (this.isClosed) return;
    try {
      await releaseFreePages(this.cleanupWriter);
    } catch (error) {
      this.config.logger?.warn({ err: error }, "erase deleted rows but could not return their space");
    }
  }

  /** A delete on the writer that close() waits for (see cleanupsStopped). */
  #untilClose(run: Promise<number>): Promise<number> {
    this.#cleanups.add(run);
    const forget = () => this.#cleanups.delete(run);
    run.then(forget, forget);
    return run;
  }

  /**
   * For close(), before the writer and reader close: running cleanups end their current chunk
   * and resolve with the rows they deleted. A chunk sent to a closed writer would fail with an
   * internal error, or never be answered by the writer thread.
   */
  protected async cleanupsStopped(): Promise<void> {
    await Promise.allSettled([...this.#cleanups]);
  }

  onCommit(listener: CommitListener): () => void {
    return this.commitListeners.add(listener);
  }

  onBatch(listener: BatchListener): () => void {
    this.#batchListeners.add(listener);
    return () => this.#batchListeners.delete(listener);
  }

  protected get hasBatchListeners(): boolean {
    return this.#batchListeners.size > 0;
  }

  /**
   * Runs after the commit: a throwing listener is logged, never thrown, or it would stop the
   * batched queue's loop (every later entry timing out) or reject a committed entry (direct); an
   * async one's rejection is logged too, or it would end the process (unhandled rejection).
   */
  protected emitBatch(event: BatchEvent): void {
    for (const listener of this.#batchListeners) {
      callListener(listener, event, (error) =>
        this.config.logger?.error({ err: error }, "batch listener threw"),
      );
    }
  }

  /** Before the final checkpoint: no reader may hold the WAL open while it is truncated. */
  protected async closeReader(): Promise<void> {
    try {
      await this.reader.close();
    } catch (error) {
      this.config.logger?.warn({ err: error }, "closing the reader failed");
    }
  }

  private whileOpen<T>(read: () => Promise<T>): Promise<T> {
    if (this.isClosed) return Promise.reject(new StorageClosedError());
    try {
      return read();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
