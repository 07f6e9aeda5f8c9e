import type { Logger } from "pino";
import { backoffDelayMs } from "./backoff.js";
import { classifyFailure, type DriverErrorInfo, toDriverErrorInfo } from "./classify-error.js";
import type { BatchConfig } from "./config.js";
import {
  QueueFullError,
  StorageClosedError,
  StorageUnavailableError,
  ValidationError,
  WriteTimeoutError,
} from "./errors.js";
import { type PendingEntry, tagWithId } from "./pending-entry.js";
import type { StorageMetrics } from "./storage-metrics.js";
import type { BatchWriter, RowOutcome, WriteResult } from "./writers/batch-writer.js";

type QueueConfig = Pick<
  BatchConfig,
  | "maxBatchSize"
  | "maxBatchDelayMs"
  | "queueCapacity"
  | "queueCapacityBytes"
  | "whenFull"
  | "enqueueTimeoutMs"
  | "writeTimeoutMs"
  | "retry"
  | "drainTimeoutMs"
>;

export interface CommittedBatch {
  items: readonly PendingEntry[];
  ids: readonly number[];
  commitMs: number;
  /** performance.now() when the commit was acknowledged. */
  committedAt: number;
}

/** A batch handed to the writer before the one ahead of it was settled (see #sendNextIfReady). */
interface SentBatch {
  items: PendingEntry[];
  started: number;
  result: Promise<WriteResult>;
}

interface Waiter {
  items: PendingEntry[];
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The batch processor. Entries queue in FIFO order; one background loop takes up to
 * `maxBatchSize` of them once the batch is full, its oldest entry has waited `maxBatchDelayMs`,
 * half a batch is waiting as the one before commits (below), or the producers paused while the
 * writer was idle (group commit), writes them in one
 * transaction (one batch in flight: SQLite has a single writer), and settles every entry after
 * COMMIT. When half a batch or more is already waiting at COMMIT, it goes to the writer before
 * the committed one is settled, so settling (and the producers it wakes) overlaps the next write.
 * Transient failures keep the batch and retry
 * with exponential backoff and jitter; content failures come back per row from the writer.
 */
/** How long new entries are refused after a fatal failure, before one more write is tried. */
const FATAL_REFUSAL_MS = 5000;
/** At most one "batch write failed; rejecting its entries" line this often. */
const FAIL_LOG_INTERVAL_MS = 10_000;

export class InsertQueue {
  readonly #config: QueueConfig;
  readonly #metrics: StorageMetrics;
  readonly #logger: Logger | undefined;
  readonly #onCommitted: (batch: CommittedBatch) => void;
  readonly #writer: BatchWriter;

  /** Waiting entries are [#head, length); the slots before #head were taken (undefined). */
  #queue: (PendingEntry | undefined)[] = [];
  #head = 0;
  /** The batch being written or retried. */
  #current: PendingEntry[] = [];
  #inFlight = false;
  /**
   * The next batch, already with the writer while #current is being settled. The loop makes it
   * #current before this turn's microtasks end, so no timer (#expire) ever sees it here; depth
   * counts it, as the settled callers may store more meanwhile.
   */
  #sent: SentBatch | null = null;
  /** A failed attempt at #current may have committed (writer.failureMayHaveCommitted, or the result says so). */
  #currentMayHaveCommitted = false;
  #waiters: Waiter[] = [];

  #wake: (() => void) | null = null;
  /** Bumped on every push: lets the processor see whether producers are still adding entries. */
  #arrivals = 0;
  #bytes = 0;
  #closing = false;
  #drainDeadline = Number.POSITIVE_INFINITY;
  #fatal: DriverErrorInfo | null = null;
  /** performance.now() of the last fatal failure: new entries are refused for a while after it. */
  #fatalAt = 0;
  /** #failBatch's log line: when it was last written, and the batches and entries since. */
  #failLoggedAt = Number.NEGATIVE_INFINITY;
  #failsUnlogged = { batches: 0, entries: 0 };
  #lastFail: { error: DriverErrorInfo; kind: string; attempts: number } | null = null;
  #backoffMs = 0;
  /** Entries committed per ms, smoothed: sizes Retry-After. */
  #rate = 0;
  readonly #loop: Promise<void>;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: {
    writer: BatchWriter;
    config: QueueConfig;
    metrics: StorageMetrics;
    logger?: Logger | undefined;
    onCommitted: (batch: CommittedBatch) => void;
  }) {
    this.#writer = options.writer;
    this.#config = options.config;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#onCommitted = options.onCommitted;
    this.#sweeper = setInterval(
      () => this.#expire(),
      Math.max(10, Math.min(1000, this.#config.writeTimeoutMs / 4)),
    );
    this.#sweeper.unref();
    this.#loop = this.#run();
  }

  /** Entries queued or being written: everything not yet committed. */
  get depth(): number {
    return this.#queue.length - this.#head + this.#current.length + (this.#sent?.items.length ?? 0);
  }

  get closing(): boolean {
    return this.#closing;
  }

  get fatalError(): DriverErrorInfo | null {
    return this.#fatal;
  }

  /** Approximate bytes held by the entries not yet committed (see entryBytes). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The QueueFullError that `count` more entries would get now (by count alone), or null. */
  refusal(count: number): QueueFullError | null {
    return this.depth + count > this.#config.queueCapacity ? this.#fullError(count, 0) : null;
  }

  /** Adds entries at the back of the queue; throws QueueFullError or StorageClosedError synchronously. */
  push(items: PendingEntry[]): void {
    if (this.#closing) throw new StorageClosedError();
    this.#refuseWhileUnusable();
    const bytes = sumBytes(items);
    if (!this.#fits(items.length, bytes)) throw this.#fullError(items.length, bytes);
    this.#bytes += bytes;
    for (const item of items) this.#queue.push(item);
    this.#arrivals++;
    this.#metrics.entriesEnqueued += items.length;
    if (this.#wake !== null) this.#wake();
  }

  /**
   * After a fatal failure (the file deleted, corrupt, read-only) new entries are refused at once
   * for FATAL_REFUSAL_MS, so that a caller gets the refusal (a 503 it retries) instead of an
   * acknowledgement (`?wait=false`'s 202) for an entry that can only fail. Then one more write is
   * let through: it either recovers or refuses again for as long.
   */
  #refuseWhileUnusable(): void {
    const fatal = this.#fatal;
    if (fatal === null || performance.now() - this.#fatalAt >= FATAL_REFUSAL_MS) return;
    throw new StorageUnavailableError(`database unusable: ${fatal.message}`, { cause: fatal });
  }

  /**
   * With whenFull "wait": pushes the entries as soon as they fit (in arrival order, ahead of any
   * later producer), or rejects with QueueFullError after enqueueTimeoutMs.
   */
  pushWhenRoom(items: PendingEntry[]): Promise<void> {
    if (this.#closing) return Promise.reject(new StorageClosedError());
    try {
      this.#refuseWhileUnusable();
    } catch (error) {
      return Promise.reject(error);
    }
    const bytes = sumBytes(items);
    if (this.#waiters.length === 0 && this.#fits(items.length, bytes)) {
      this.push(items);
      return Promise.resolve();
    }
    if (items.length > this.#config.queueCapacity || bytes > this.#config.queueCapacityBytes) {
      // could never fit, however long it waits
      return Promise.reject(this.#fullError(items.length, bytes));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        items,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(this.#fullError(items.length, bytes));
        }, this.#config.enqueueTimeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /** A hint for clients told to come back: time to commit what is queued, or the current backoff. */
  retryAfterMs(): number {
    if (this.#backoffMs > 0) return Math.ceil(this.#backoffMs);
    const drainMs = this.#rate > 0 ? this.depth / this.#rate : 1000;
    return Math.min(30_000, Math.max(100, Math.ceil(drainMs)));
  }

  /** Stops intake, commits everything queued (retrying until drainTimeoutMs), then resolves. */
  async drain(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#drainDeadline = performance.now() + this.#config.drainTimeoutMs;
      for (const waiter of this.#waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new StorageClosedError());
      }
      this.#waiters = [];
      this.#wake?.();
    }
    await this.#loop;
    clearInterval(this.#sweeper);
  }

  get writer(): BatchWriter {
    return this.#writer;
  }

  async #run(): Promise<void> {
    for (;;) {
      const sent = this.#sent;
      this.#sent = null;
      if (sent === null) {
        await this.#nextBatchReady();
        if (this.#queue.length - this.#head === 0) {
          if (this.#closing) {
            if (this.#failsUnlogged.batches > 0) this.#logFailures(); // what the last line left out
            return;
          }
          continue;
        }
      }
      await this.#write(sent);
    }
  }

  // Its own frame: a suspended #run must not keep the last batch (and its callers' entries) alive.
  async #write(sent: SentBatch | null): Promise<void> {
    const batch = sent?.items ?? this.#take(this.#config.maxBatchSize);
    this.#current = batch;
    this.#currentMayHaveCommitted = false;
    await this.#commit(sent);
    this.#current = [];
    this.#bytes -= sumBytes(batch);
    this.#admitWaiters();
  }

  /**
   * Resolves when a batch should be taken: it is full, its oldest entry has waited
   * maxBatchDelayMs, the producers paused (an event-loop turn passed with no new entry: waiting
   * longer would only add latency, as nothing else is coming), or we are closing.
   */
  #nextBatchReady(): Promise<void> {
    const queued = this.#queue.length - this.#head;
    if (queued >= this.#config.maxBatchSize || this.#closing) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let immediate: NodeJS.Immediate | undefined;
      let seen = this.#arrivals;
      const done = () => {
        this.#wake = null;
        clearTimeout(timer);
        clearImmediate(immediate);
        resolve();
      };
      const checkQuiet = () => {
        if (this.#arrivals === seen) return done();
        seen = this.#arrivals;
        immediate = setImmediate(checkQuiet);
      };
      const arm = () => {
        const oldest = this.#queue[this.#head];
        if (oldest === undefined) return;
        const remaining = oldest.enqueuedAt + this.#config.maxBatchDelayMs - performance.now();
        timer = setTimeout(done, Math.max(0, remaining));
        seen = this.#arrivals;
        immediate = setImmediate(checkQuiet);
      };
      this.#wake = () => {
        if (this.#queue.length - this.#head >= this.#config.maxBatchSize || this.#closing) done();
        else if (timer === undefined) arm();
      };
      arm();
    });
  }

  #fits(count: number, bytes: number): boolean {
    return (
      this.depth + count <= this.#config.queueCapacity &&
      this.#bytes + bytes <= this.#config.queueCapacityBytes
    );
  }

  #fullError(count: number, bytes: number): QueueFullError {
    const retryAfter = this.retryAfterMs();
    const size = (n: number) =>
      n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
    if (count > this.#config.queueCapacity) {
      return new QueueFullError(
        `${count} entries; queueCapacity ${this.#config.queueCapacity}`,
        retryAfter,
        true,
      );
    }
    if (bytes > this.#config.queueCapacityBytes) {
      return new QueueFullError(
        `${size(bytes)} of entries; queueCapacityBytes ${size(this.#config.queueCapacityBytes)}`,
        retryAfter,
        true,
      );
    }
    if (this.depth + count > this.#config.queueCapacity)
      return new QueueFullError(this.#config.queueCapacity, retryAfter);
    return new QueueFullError(
      `${size(this.#bytes)} of entries waiting to commit, ${size(bytes)} more would pass queueCapacityBytes (${size(this.#config.queueCapacityBytes)})`,
      retryAfter,
    );
  }

  #take(max: number): PendingEntry[] {
    let end = Math.min(this.#queue.length, this.#head + max);
    // Not through the middle of one call (a storeMany: one ingest request) that fits a batch: it
    // then commits or fails whole, and a shipper resending a request refused 503 cannot store
    // its first part twice. A call larger than a batch is split all the same.
    if (end < this.#queue.length) {
      const cut = end;
      const settler = this.#queue[end]!.settler;
      while (end > this.#head && this.#queue[end - 1]!.settler === settler) end--;
      if (end === this.#head) end = cut;
    }
    const batch = this.#queue.slice(this.#head, end) as PendingEntry[];
    if (end === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
      return batch;
    }
    // Taken slots must not keep their entries alive: each one holds the caller's entry, its row
    // buffer and its promise, and a young-generation GC would copy them (then promote them).
    this.#queue.fill(undefined, this.#head, end);
    this.#head = end;
    // Compact once the consumed prefix dominates, so the array does not grow without bound.
    if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  /** Writes #current until it commits or is given up; `sent` is its first attempt, already started. */
  async #commit(sent: SentBatch | null): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const alreadySent = attempt === 1 ? sent : null;
      // A sent batch is written whole: entries that timed out meanwhile are in it all the same.
      const live = alreadySent?.items ?? this.#current.filter((item) => !item.settled);
      this.#current = live;
      if (live.length === 0) return;
      if (attempt === 1 && alreadySent === null && this.#abandonedByDrain(live)) return;
      const started = alreadySent?.started ?? performance.now();
      this.#inFlight = true;
      let result: WriteResult;
      try {
        result = await (alreadySent?.result ?? this.#writer.write(live));
      } catch (error) {
        result = { ok: false, error: toDriverErrorInfo(error) };
      } finally {
        this.#inFlight = false;
      }
      if (result.ok) {
        const commitMs = performance.now() - started; // not counting the next batch's sending
        this.#recovered(attempt);
        this.#sendNextIfReady();
        const ids = "ids" in result ? result.ids : this.#settleOutcomes(live, result.outcomes);
        const items = "ids" in result ? live : live.filter((_, i) => typeof result.outcomes[i] === "number");
        this.#committed(items, ids, commitMs);
        return;
      }
      const kind = classifyFailure(result.error);
      if (this.#writer.failureMayHaveCommitted || result.mayHaveCommitted)
        this.#currentMayHaveCommitted = true;
      this.#metrics.failure(result.error);
      if (kind === "fatal") {
        this.#fatal = result.error;
        this.#fatalAt = performance.now();
      }
      const giveUp =
        kind === "fatal" ||
        attempt >= this.#config.retry.maxAttempts ||
        (this.#closing && performance.now() >= this.#drainDeadline);
      if (giveUp) {
        this.#metrics.writeFailed();
        this.#failBatch(live, result.error, kind, attempt);
        return;
      }
      this.#metrics.retries++;
      this.#metrics.writeFailed();
      this.#backoffMs = backoffDelayMs(this.#config.retry, attempt);
      // One line per retry: the attempt number and the wait make an outage readable in the log.
      this.#logger?.warn(
        { err: result.error, kind, attempt, batch: live.length, retryInMs: Math.round(this.#backoffMs) },
        "batch write failed; retrying with backoff",
      );
      await this.#sleep(this.#backoffMs);
    }
  }

  /**
   * Right after a COMMIT, before its entries are settled: if at least half a batch queued during
   * the commit, hand it to the writer now, so the writer does not sit idle while this thread
   * settles the committed entries and runs what their callers do next (for 100-entry bursts that
   * idle time was a fifth of every cycle). What the settled callers add goes to the batch after.
   * A smaller remainder waits for them, as before: cut early, it would make two small batches
   * alternate, each paying a whole commit. A writer that runs the transaction on this thread gains
   * nothing and would delay settling.
   */
  #sendNextIfReady(): void {
    const queued = this.#queue.length - this.#head;
    if (!this.#writer.writesOffThread || queued === 0 || queued * 2 < this.#config.maxBatchSize) return;
    const items = this.#take(this.#config.maxBatchSize);
    const started = performance.now();
    let result: Promise<WriteResult>;
    try {
      result = this.#writer.write(items);
    } catch (error) {
      result = Promise.resolve({ ok: false, error: toDriverErrorInfo(error) });
    }
    // Awaited by the loop within this turn; the no-op handler only keeps a failure from being
    // reported as unhandled before that.
    result.catch(() => {});
    this.#sent = { items, started, result };
  }

  /**
   * close() past drainTimeoutMs while the database is failing: the remaining batches are
   * rejected without another attempt, so that close() is bounded by drainTimeoutMs plus the one
   * write already in flight, however many batches are queued (each attempt may block for
   * busyTimeoutMs).
   */
  #abandonedByDrain(items: PendingEntry[]): boolean {
    if (!this.#closing || performance.now() < this.#drainDeadline) return false;
    if (this.#metrics.consecutiveFailures === 0) return false;
    const last = this.#metrics.lastError;
    this.#failBatch(items, { message: last?.message ?? "unknown error", code: last?.code }, "drain", 0);
    return true;
  }

  #recovered(attempts: number): void {
    // what the last failure line left out belongs to the spell that ends here
    if (this.#failsUnlogged.batches > 0) this.#logFailures();
    if (this.#metrics.consecutiveFailures > 0) {
      this.#logger?.info({ attempts, failures: this.#metrics.consecutiveFailures }, "batch writes recovered");
    }
    this.#metrics.writeSucceeded();
    this.#fatal = null;
    this.#backoffMs = 0;
  }

  /** Resolves committed rows, rejects refused ones; returns the ids of the committed rows. */
  #settleOutcomes(items: PendingEntry[], outcomes: RowOutcome[]): number[] {
    const ids: number[] = [];
    outcomes.forEach((outcome, i) => {
      const item = items[i]!;
      if (typeof outcome === "number") {
        ids.push(outcome);
        return;
      }
      this.#metrics.entriesFailed++;
      this.#metrics.reject("validation");
      this.#settle(item, new ValidationError(fieldOfConstraint(outcome.message), outcome.message));
    });
    return ids;
  }

  #committed(items: PendingEntry[], ids: number[], commitMs: number): void {
    const now = performance.now();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const id = ids[i]!;
      if (item.entry !== null) tagWithId(item.entry, id);
      this.#metrics.enqueueToCommitMs.record(now - item.enqueuedAt);
      if (!item.settled) {
        item.settled = true;
        item.settler.fulfil(item.index, id);
      }
    }
    this.#metrics.entriesStored += items.length;
    this.#metrics.batches++;
    this.#metrics.batchSize.record(items.length);
    this.#metrics.commitLatencyMs.record(commitMs);
    this.#metrics.lastCommitAt = new Date();
    const perMs = items.length / Math.max(commitMs, 0.01);
    this.#rate = this.#rate === 0 ? perMs : this.#rate * 0.8 + perMs * 0.2;
    this.#onCommitted({ items, ids, commitMs, committedAt: now });
  }

  #failBatch(items: PendingEntry[], error: DriverErrorInfo, kind: string, attempts: number): void {
    // One line, then at most one per FAIL_LOG_INTERVAL_MS covering the batches since: a
    // database that fails every batch wrote a line per batch (hundreds a second, ~1 GB an hour).
    this.#failsUnlogged.batches++;
    this.#failsUnlogged.entries += items.length;
    this.#lastFail = { error, kind, attempts };
    if (performance.now() - this.#failLoggedAt >= FAIL_LOG_INTERVAL_MS) this.#logFailures();
    const reason =
      kind === "fatal"
        ? `database unusable: ${error.message}`
        : kind === "drain"
          ? `closed while the database was failing; not written within drainTimeoutMs (${this.#config.drainTimeoutMs} ms): ${error.message}`
          : this.#closing
            ? `closed while the database was failing: ${error.message}`
            : `write failed after ${attempts} attempts: ${error.message}`;
    const mayHaveCommitted = attempts > 0 && this.#currentMayHaveCommitted;
    const message = mayHaveCommitted ? reason + MAY_HAVE_COMMITTED : reason;
    for (const item of items) {
      this.#metrics.entriesFailed++;
      this.#metrics.reject("unavailable");
      this.#settle(item, new StorageUnavailableError(message, { cause: error, mayHaveCommitted }));
    }
  }

  /** The "rejecting its entries" line: the last failure, and the batches and entries it covers. */
  #logFailures(): void {
    const { batches, entries } = this.#failsUnlogged;
    const { error, kind, attempts } = this.#lastFail!;
    this.#logger?.error(
      { err: error, kind, attempts, batches, entries },
      "batch write failed; rejecting its entries",
    );
    this.#failLoggedAt = performance.now();
    this.#failsUnlogged = { batches: 0, entries: 0 };
  }

  #settle(item: PendingEntry, error: Error): void {
    if (item.settled) return;
    item.settled = true;
    item.settler.fail(item.index, error);
  }

  /**
   * Rejects entries older than writeTimeoutMs. Queued ones are withdrawn and never written; so are
   * those of a batch waiting to be retried, unless its failed attempt may have committed.
   */
  #expire(): void {
    const cutoff = performance.now() - this.#config.writeTimeoutMs;
    const timeout = this.#config.writeTimeoutMs;
    const withdrawable = !this.#inFlight && !this.#currentMayHaveCommitted;
    for (const item of this.#current) {
      if (!item.settled && item.enqueuedAt <= cutoff) {
        this.#metrics.reject("timeout");
        this.#settle(item, new WriteTimeoutError(timeout, withdrawable));
      }
    }
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.enqueuedAt <= cutoff) {
      const item = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined;
      this.#bytes -= item.bytes;
      this.#metrics.reject("timeout");
      this.#settle(item, new WriteTimeoutError(timeout, true));
    }
    if (this.#queue.length === this.#head) {
      this.#queue = [];
      this.#head = 0;
    }
    this.#admitWaiters();
  }

  #admitWaiters(): void {
    while (this.#waiters.length > 0) {
      const waiter = this.#waiters[0]!;
      if (!this.#fits(waiter.items.length, sumBytes(waiter.items))) return;
      this.#waiters.shift();
      clearTimeout(waiter.timer);
      try {
        this.push(waiter.items);
      } catch (error) {
        // Refused (the database unusable, the storage closing): so is every waiter behind it.
        // Never thrown from here: #write and #expire call this, and a throw stopped the queue.
        for (const w of [waiter, ...this.#waiters]) {
          clearTimeout(w.timer);
          w.reject(error as Error);
        }
        this.#waiters = [];
        return;
      }
      waiter.resolve();
    }
  }

  #sleep(ms: number): Promise<void> {
    const untilDeadline = this.#closing ? Math.max(0, this.#drainDeadline - performance.now()) : ms;
    return new Promise((resolve) => setTimeout(resolve, Math.min(ms, untilDeadline)));
  }
}

const MAY_HAVE_COMMITTED = " (an earlier attempt's answer was lost: the entry may have been written, once)";

/** Names the entry field a refused row violated, from SQLite's constraint message. */
export function fieldOfConstraint(message: string): string {
  if (/level/.test(message)) return "level";
  if (/source/.test(message)) return "source";
  if (/fields|JSON/i.test(message)) return "fields";
  if (/timestamp/.test(message)) return "timestamp";
  return "message";
}

function sumBytes(items: readonly PendingEntry[]): number {
  let total = 0;
  for (const item of items) total += item.bytes;
  return total;
}
