import type { DiskReserve } from "./disk-reserve.js";
import { decodeEncoded, encodeEntry, entryBytes, parseRow, rowJson } from "./entry-codec.js";
import { QueueFullError, StorageClosedError, StorageUnavailableError, ValidationError } from "./errors.js";
import { pastHighWater, QUEUE_HIGH_WATER, QUEUE_LOW_WATER } from "./high-water.js";
import { type CommittedBatch, InsertQueue } from "./insert-queue.js";
import { LogStorageBase, type StorageParts } from "./log-storage-base.js";
import type { PendingEntry } from "./pending-entry.js";
import { packRows, rowText } from "./row-spans.js";
import { GroupSettler, type Settler, SingleSettler } from "./settlers.js";
import type {
  BatchEvent,
  LogStorage,
  NewLogEntry,
  QueuedEntries,
  StorageHealth,
  StorageStats,
} from "./types.js";
import type { BackgroundCheckpointer } from "./writers/background-checkpointer.js";
import type { BatchWriter } from "./writers/batch-writer.js";

/**
 * The product: `store()` validates, enqueues and returns at once; the InsertQueue commits
 * entries in batches and settles each promise after COMMIT.
 */
export class BatchedLogStorage extends LogStorageBase implements LogStorage {
  readonly #queue: InsertQueue;
  /** Past the high-water mark and not yet back under the low one (see QUEUE_LOW_WATER). */
  #highWater = false;
  readonly #checkpointTimer: NodeJS.Timeout | undefined;
  /** The writer's disk reserve, observed (never created) from here: its file is the state. */
  readonly #reserve: DiskReserve | null;
  readonly #checkpointer: BackgroundCheckpointer | null;
  #closePromise: Promise<void> | null = null;

  constructor(
    options: StorageParts & {
      writer: BatchWriter;
      reserve: DiskReserve | null;
      checkpointer?: BackgroundCheckpointer | null;
    },
  ) {
    super(options);
    this.#reserve = options.reserve;
    this.#checkpointer = options.checkpointer ?? null;
    this.#queue = new InsertQueue({
      writer: options.writer,
      config: this.config,
      metrics: this.metrics,
      logger: this.config.logger,
      onCommitted: (batch) => this.#afterCommit(batch),
    });
    if (this.opened.path !== null && this.config.checkpointIntervalMs > 0) {
      this.#checkpointTimer = setInterval(() => {
        this.#queue.writer.checkpoint("PASSIVE").catch((error: unknown) => {
          this.config.logger?.warn({ err: error }, "periodic WAL checkpoint failed");
        });
      }, this.config.checkpointIntervalMs);
      this.#checkpointTimer.unref();
    }
  }

  protected get isClosed(): boolean {
    return this.#closePromise !== null;
  }

  protected get cleanupWriter(): BatchWriter {
    return this.#queue.writer;
  }

  store(entry: NewLogEntry): Promise<number> {
    const settler = new SingleSettler();
    let pending: PendingEntry;
    try {
      const chunk = Buffer.from(this.#encode(entry));
      pending = pendingEntry(chunk, 0, chunk.length, entry, settler, 0);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.config.whenFull === "reject") {
      // hot path: no promise besides the caller's
      try {
        this.#queue.push([pending]);
      } catch (error) {
        this.#countRejection(error as Error, 1);
        return Promise.reject(error);
      }
    } else {
      this.#enqueue([pending]).catch((error: Error) => settleRejected(pending, error));
    }
    return settler.promise;
  }

  storeMany(entries: NewLogEntry[]): Promise<number[]> {
    return this.#storeEach(entries, true).then((results) =>
      results.map((r) => {
        if (r.status === "rejected") throw r.reason;
        return r.value;
      }),
    );
  }

  /** Unlike store() and storeMany(), does not set `entry.id`: the queue need not hold the caller's objects. */
  storeEach(entries: NewLogEntry[]): Promise<PromiseSettledResult<number>[]> {
    return this.#storeEach(entries, false);
  }

  enqueueEach(entries: NewLogEntry[]): Promise<QueuedEntries> {
    return this.#enqueueAll(entries, false);
  }

  // Not async: a frame suspended until the commit would keep `entries` (the caller's objects)
  // reachable, and every young-generation GC until then would copy them. These handlers are
  // released as soon as the entries are queued.
  #storeEach(entries: NewLogEntry[], setIds: boolean): Promise<PromiseSettledResult<number>[]> {
    return this.#enqueueAll(entries, setIds).then(
      (queued) => queued.committed,
      // refused whole: every entry gets the queue's reason, as when refused before encoding
      (reason: unknown) => entries.map(() => ({ status: "rejected" as const, reason })),
    );
  }

  /** All or none: queued together, or refused together (QueueFullError, StorageClosedError). */
  async #enqueueAll(entries: NewLogEntry[], setIds: boolean): Promise<QueuedEntries> {
    const full = this.#fullBeforeEncoding(entries.length);
    if (full !== null) throw full;
    if (this.#closePromise !== null || this.#queue.closing) {
      this.metrics.reject("closed", entries.length);
      throw new StorageClosedError();
    }
    const group = new GroupSettler(entries.length);
    const refused = new Map<number, Error>();
    const rows: string[] = [];
    const indexes: number[] = [];
    for (let i = 0; i < entries.length; i++) {
      try {
        rows.push(this.#encode(entries[i]!));
        indexes.push(i);
      } catch (error) {
        group.fail(i, error as Error);
        refused.set(i, error as Error);
      }
    }
    const { chunk, starts, ends } = packRows(rows);
    const pendings = indexes.map((i, r) =>
      pendingEntry(chunk, starts[r]!, ends[r]!, setIds ? entries[i]! : null, group, i),
    );
    if (pendings.length > 0) {
      try {
        await this.#enqueue(pendings);
      } catch (error) {
        for (const pending of pendings) settleRejected(pending, error as Error);
        throw error;
      }
    }
    return { committed: group.promise, refused };
  }

  stats(): StorageStats {
    return this.metrics.snapshot(
      "batched",
      {
        depth: this.#queue.depth,
        capacity: this.config.queueCapacity,
        bytes: this.#queue.bytes,
        capacityBytes: this.config.queueCapacityBytes,
      },
      { database: this.opened.path, reserve: this.#reserve?.path ?? null },
      this.#checkpointer?.counts ?? null,
    );
  }

  health(): StorageHealth {
    const depth = this.#queue.depth;
    const capacity = this.config.queueCapacity;
    const failures = this.metrics.consecutiveFailures;
    const reasons: string[] = [];
    let status: StorageHealth["status"] = "ok";
    let highWater = false;
    if (this.#closePromise !== null) {
      status = "down";
      reasons.push("storage is closed");
    } else if (this.#queue.fatalError !== null) {
      status = "down";
      reasons.push(`database unusable: ${this.#queue.fatalError.message}`);
    } else {
      if (failures > 0) {
        status = "degraded";
        reasons.push(
          `${failures} consecutive write failures: ${this.metrics.lastError?.message ?? "unknown"}`,
        );
      }
      const bytes = this.#queue.bytes;
      const capacityBytes = this.config.queueCapacityBytes;
      const share = Math.max(depth / capacity, bytes / capacityBytes);
      this.#highWater = pastHighWater(this.#highWater, share);
      if (this.#highWater) {
        highWater = true;
        status = "degraded";
        reasons.push(
          `queue ${Math.round((depth / capacity) * 100)}% full (${depth}/${capacity}), ` +
            `${Math.round((bytes / capacityBytes) * 100)}% of queueCapacityBytes ` +
            `(degraded from ${QUEUE_HIGH_WATER * 100}% until under ${QUEUE_LOW_WATER * 100}%)`,
        );
      }
    }
    return {
      status,
      reasons,
      queue: { depth, capacity },
      lastCommitAt: this.metrics.lastCommitAt,
      consecutiveFailures: failures,
      failingSince: this.metrics.failingSince,
      queueHighWater: highWater,
      diskReserve: this.#reserve === null ? "off" : this.#reserve.held ? "held" : "missing",
    };
  }

  close(): Promise<void> {
    this.#closePromise ??= this.#close();
    return this.#closePromise;
  }

  async #close(): Promise<void> {
    clearInterval(this.#checkpointTimer);
    await this.#queue.drain();
    await this.cleanupsStopped();
    await this.closeReader();
    await this.#checkpointer?.close();
    const writer = this.#queue.writer;
    try {
      await writer.checkpoint("TRUNCATE");
    } catch (error) {
      this.config.logger?.warn({ err: error }, "final WAL checkpoint failed");
    }
    await writer.close();
    this.opened.client.close();
  }

  /** Validates and encodes one entry: its row's JSON text. */
  #encode(entry: NewLogEntry): string {
    if (this.#closePromise !== null || this.#queue.closing) {
      this.metrics.reject("closed");
      throw new StorageClosedError();
    }
    try {
      return rowJson(encodeEntry(entry, this.config, Date.now()));
    } catch (error) {
      if (error instanceof ValidationError) this.metrics.reject("validation");
      throw error;
    }
  }

  async #enqueue(pendings: PendingEntry[]): Promise<void> {
    try {
      if (this.config.whenFull === "wait") await this.#queue.pushWhenRoom(pendings);
      else this.#queue.push(pendings);
    } catch (error) {
      this.#countRejection(error as Error, pendings.length);
      throw error;
    }
  }

  /**
   * In reject mode, a call whose entries cannot all fit is refused before any of them is encoded:
   * under overload half the calls are refused, and encoding them first would only make garbage.
   */
  #fullBeforeEncoding(count: number): QueueFullError | null {
    if (this.config.whenFull !== "reject" || this.#closePromise !== null) return null;
    const error = this.#queue.refusal(count);
    if (error !== null) this.#countRejection(error, count);
    return error;
  }

  #countRejection(error: Error, count: number): void {
    if (error instanceof QueueFullError) this.metrics.reject("queue_full", count);
    else if (error instanceof StorageClosedError) this.metrics.reject("closed", count);
    else if (error instanceof StorageUnavailableError) this.metrics.reject("unavailable", count);
  }

  #afterCommit(batch: CommittedBatch): void {
    this.#checkpointer?.noteCommit();
    if (this.hasBatchListeners) {
      const event: BatchEvent = {
        size: batch.items.length,
        commitMs: batch.commitMs,
        enqueueToCommitMs: batch.items.map((item) => batch.committedAt - item.enqueuedAt),
      };
      this.emitBatch(event);
    }
    if (!this.commitListeners.active) return;
    this.commitListeners.emit(
      batch.items.map((item, i) => decodeEncoded(batch.ids[i]!, parseRow(rowText(item)))),
    );
  }
}

function pendingEntry(
  chunk: Buffer,
  start: number,
  end: number,
  entry: NewLogEntry | null,
  settler: Settler,
  index: number,
): PendingEntry {
  return {
    chunk,
    start,
    end,
    entry,
    bytes: entryBytes(end - start),
    enqueuedAt: performance.now(),
    settler,
    index,
    settled: false,
  };
}

function settleRejected(pending: PendingEntry, error: Error): void {
  if (pending.settled) return;
  pending.settled = true;
  pending.settler.fail(pending.index, error);
}
