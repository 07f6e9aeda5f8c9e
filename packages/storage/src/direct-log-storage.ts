import { classifyFailure, toDriverErrorInfo } from "./classify-error.js";
import { decodeEncoded, encodeEntry } from "./entry-codec.js";
import { StorageClosedError, StorageUnavailableError, ValidationError } from "./errors.js";
import { fieldOfConstraint } from "./insert-queue.js";
import { LogStorageBase, type StorageParts } from "./log-storage-base.js";
import { tagWithId } from "./pending-entry.js";
import { logEntries } from "./schema.js";
import type { LogStorage, NewLogEntry, QueuedEntries, StorageHealth, StorageStats } from "./types.js";
import type { BatchWriter } from "./writers/batch-writer.js";

type Row = ReturnType<typeof encodeEntry>;

/**
 * The baseline ("old implementation"): one INSERT — one transaction, one fsync — per entry,
 * through Drizzle, awaited by the caller. Same schema, pragmas and reads as the batched storage.
 */
export class DirectLogStorage extends LogStorageBase implements LogStorage {
  readonly #writer: BatchWriter;
  #inFlight = 0;
  #closed = false;
  #closing: Promise<void> | null = null;
  #drained: (() => void) | null = null;
  /** Each INSERT starts once the one before it has settled (see #insert). */
  #previous: Promise<unknown> = Promise.resolve();
  /**
   * Why the connection can no longer be trusted with a write. @libsql/client on a local file does
   * not reset a statement that failed with SQLITE_BUSY (tursodatabase/libsql-js#228): until the
   * garbage collector finalizes it, every later autocommit INSERT on that connection reports
   * success and is never committed (measured: acknowledged, absent from the file after close).
   * The baseline stops writing instead, as the batched storage does for an unusable database.
   */
  #unusable: string | null = null;

  constructor(options: StorageParts & { writer: BatchWriter }) {
    super(options);
    this.#writer = options.writer;
  }

  protected get isClosed(): boolean {
    return this.#closed;
  }

  protected get cleanupWriter(): BatchWriter {
    return this.#writer;
  }

  async store(entry: NewLogEntry): Promise<number> {
    return this.#insert(entry, this.#encode(entry));
  }

  /** Validates and encodes one entry (throws StorageClosedError or ValidationError). */
  #encode(entry: NewLogEntry): Row {
    if (this.#closed) {
      this.metrics.reject("closed");
      throw new StorageClosedError();
    }
    try {
      return encodeEntry(entry, this.config, Date.now());
    } catch (error) {
      this.metrics.reject("validation");
      throw error;
    }
  }

  async #insert(entry: NewLogEntry, row: Row): Promise<number> {
    this.metrics.entriesEnqueued++;
    this.#inFlight++;
    // One at a time (the connection runs them one at a time anyway): no INSERT may reach the
    // connection between a failure and the moment it is marked unusable
    const turn = this.#previous;
    let done = () => {};
    this.#previous = new Promise<void>((resolve) => (done = resolve));
    await turn;
    const started = performance.now();
    try {
      if (this.#unusable !== null) throw new StorageUnavailableError(this.#unusable);
      const [inserted] = await this.opened.db
        .insert(logEntries)
        .values({ timestamp: row[0], level: row[1], source: row[2], message: row[3], fields: row[4] })
        .returning({ id: logEntries.id });
      const id = inserted!.id;
      const elapsed = performance.now() - started;
      tagWithId(entry, id);
      this.metrics.entriesStored++;
      this.metrics.batches++;
      this.metrics.batchSize.record(1);
      this.metrics.commitLatencyMs.record(elapsed);
      this.metrics.enqueueToCommitMs.record(elapsed);
      this.metrics.lastCommitAt = new Date();
      this.metrics.writeSucceeded();
      if (this.hasBatchListeners)
        this.emitBatch({ size: 1, commitMs: elapsed, enqueueToCommitMs: [elapsed] });
      if (this.commitListeners.active) this.commitListeners.emit([decodeEncoded(id, row)]);
      return id;
    } catch (error) {
      if (error instanceof StorageUnavailableError) {
        this.metrics.reject("unavailable");
        throw error;
      }
      const info = toDriverErrorInfo((error as { cause?: unknown }).cause ?? error);
      this.metrics.entriesFailed++;
      this.metrics.failure(info);
      if (classifyFailure(info) === "content") {
        this.metrics.reject("validation");
        throw new ValidationError(fieldOfConstraint(info.message), info.message, { cause: error });
      }
      this.metrics.writeFailed();
      this.metrics.reject("unavailable");
      if (this.opened.path !== null && /^SQLITE_(BUSY|LOCKED)/.test(info.code ?? "")) {
        this.#unusable =
          `the database connection is unusable after ${info.code} (a @libsql/client defect: later writes would ` +
          "be acknowledged and lost); restart, or use the batched storage, which is not affected";
      }
      throw new StorageUnavailableError(`write failed: ${info.message}`, { cause: error });
    } finally {
      done();
      if (--this.#inFlight === 0) this.#drained?.();
    }
  }

  storeMany(entries: NewLogEntry[]): Promise<number[]> {
    return Promise.all(entries.map((entry) => this.store(entry)));
  }

  storeEach(entries: NewLogEntry[]): Promise<PromiseSettledResult<number>[]> {
    return Promise.allSettled(entries.map((entry) => this.store(entry)));
  }

  /** No queue to fill: the entries start writing at once; only a closed storage refuses them all. */
  async enqueueEach(entries: NewLogEntry[]): Promise<QueuedEntries> {
    if (this.#closed) {
      this.metrics.reject("closed", entries.length);
      throw new StorageClosedError();
    }
    const refused = new Map<number, Error>();
    const writes = entries.map((entry, i) => {
      try {
        return this.#insert(entry, this.#encode(entry));
      } catch (error) {
        refused.set(i, error as Error);
        return Promise.reject(error);
      }
    });
    return { committed: Promise.allSettled(writes), refused };
  }

  stats(): StorageStats {
    return this.metrics.snapshot(
      "direct",
      {
        depth: this.#inFlight,
        capacity: Number.POSITIVE_INFINITY,
        bytes: 0,
        capacityBytes: Number.POSITIVE_INFINITY,
      },
      { database: this.opened.path, reserve: null },
    );
  }

  health(): StorageHealth {
    const failures = this.metrics.consecutiveFailures;
    const status = this.#closed || this.#unusable !== null ? "down" : failures > 0 ? "degraded" : "ok";
    const reasons = this.#closed
      ? ["storage is closed"]
      : this.#unusable !== null
        ? [this.#unusable]
        : failures > 0
          ? [`${failures} consecutive write failures: ${this.metrics.lastError?.message ?? "unknown"}`]
          : [];
    return {
      status,
      reasons,
      queue: { depth: this.#inFlight, capacity: Number.POSITIVE_INFINITY },
      lastCommitAt: this.metrics.lastCommitAt,
      consecutiveFailures: failures,
      failingSince: this.metrics.failingSince,
      queueHighWater: false,
      diskReserve: "off",
    };
  }

  /** The same promise to every caller: a second close() resolves when the first has finished. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await this.cleanupsStopped();
    await this.closeReader();
    try {
      await this.#writer.checkpoint("TRUNCATE");
    } catch (error) {
      this.config.logger?.warn({ err: error }, "final WAL checkpoint failed");
    }
    this.opened.client.close();
  }
}
