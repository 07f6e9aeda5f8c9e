import type { CommittedAfter, LogEntry, LogStorage } from "@batchlog/storage";
import type { ServiceLogger } from "./service-logger.js";
import { compileTailFilter, type TailFilter } from "./tail-filter.js";

export interface SubscribeOptions {
  /**
   * Entries held for a subscriber that is paused or has not been called back yet; past it the
   * oldest are dropped and counted in `dropped()`. @default 1000
   */
  maxBuffered?: number;
  /**
   * Resume after this entry id (an SSE client's Last-Event-ID): the matching entries committed
   * since are delivered first, then the live ones, each once, in commit order. Past `maxBuffered`
   * of them the oldest are dropped and counted, as for a slow subscriber (counted back only as far
   * as the storage's `skippedCountWindow`: see `droppedIsLowerBound()`).
   */
  afterId?: number;
}

/**
 * A live-tail subscription. Entries matching the filter are delivered in commit order, in batches,
 * on a later macrotask than the commit (never inside the writer's callback).
 *
 * Backpressure: while `pause()`d nothing is delivered and matching entries wait in a bounded
 * buffer (drop-oldest). An SSE route pauses when `res.write()` returns false and resumes on
 * `drain`; a client that cannot keep up loses the oldest entries, never the server's memory.
 */
export interface TailSubscription {
  unsubscribe(): void;
  /** Entries dropped so far because the buffer was full. */
  dropped(): number;
  /**
   * `dropped()` is a lower bound: it includes a resume's count of the entries it skipped, and
   * that count stopped at the storage's window (`skippedIsLowerBound`).
   */
  droppedIsLowerBound(): boolean;
  /** Entries waiting to be delivered. */
  buffered(): number;
  pause(): void;
  resume(): void;
  readonly closed: boolean;
  /**
   * Settles once the entries committed after `afterId` are read (at once without it); rejects,
   * unsubscribed, when the storage could not read them.
   */
  readonly caughtUp: Promise<void>;
}

const DEFAULT_MAX_BUFFERED = 1000;
/** Entries one read of a resumed subscription's history returns at most (the storage's page limit). */
const MAX_HISTORY = 1000;

class Subscriber implements TailSubscription {
  closed = false;
  caughtUp: Promise<void> = Promise.resolve();
  /** While the history of a resumed subscription is read: live entries wait in the buffer. */
  #catchingUp = false;
  #paused = false;
  #scheduled = false;
  #dropped = 0;
  #droppedIsLowerBound = false;
  /**
   * The newest id delivered or read: a commit's notification can reach the main thread after a
   * resume's read already returned its rows, and must not deliver them again. (Not the resume's
   * own id: one ahead of the store, after a restore from an older backup, would then hold back
   * every new entry until the ids caught up.)
   */
  #floor = Number.NEGATIVE_INFINITY;
  /** While catching up: the ids of live entries dropped from the full buffer (see catchUp). */
  #droppedWhileCatchingUp: number[] = [];
  /** Entries to deliver are [#head, length); the slots before #head were dropped (undefined). */
  #buffer: (LogEntry | undefined)[] = [];
  #head = 0;
  readonly #matches: (entry: LogEntry) => boolean;
  readonly #onEntries: (entries: LogEntry[]) => void;
  readonly #max: number;
  readonly #detach: (s: Subscriber) => void;
  readonly #logger: ServiceLogger;

  constructor(
    filter: TailFilter,
    onEntries: (entries: LogEntry[]) => void,
    max: number,
    detach: (s: Subscriber) => void,
    logger: ServiceLogger,
  ) {
    this.#matches = compileTailFilter(filter);
    this.#onEntries = onEntries;
    this.#max = max;
    this.#detach = detach;
    this.#logger = logger;
  }

  offer(entries: readonly LogEntry[]): void {
    if (this.closed) return;
    let added = false;
    for (const entry of entries) {
      if (entry.id <= this.#floor || !this.#matches(entry)) continue;
      this.#buffer.push(entry);
      added = true;
    }
    this.#dropOldest();
    if (added) this.#schedule();
  }

  /** Holds live entries until `catchUp` puts the history read from the storage before them. */
  holdForHistory(): void {
    this.#catchingUp = true;
  }

  /**
   * The entries committed after the resume point, oldest first, and how many older ones did not
   * fit (at least, when `skippedIsLowerBound`); live entries that arrived meanwhile and are among
   * them (a commit both read and notified) are not repeated.
   */
  catchUp({ entries: history, skipped, skippedIsLowerBound }: CommittedAfter): void {
    this.#catchingUp = false;
    if (this.closed) return;
    const newestRead = history.at(-1)?.id ?? Number.NEGATIVE_INFINITY;
    const live = this.#pending().filter((e) => e.id > newestRead);
    this.#buffer = [...history, ...live];
    this.#head = 0;
    this.#floor = Math.max(this.#floor, newestRead);
    // live entries dropped meanwhile that the read returned or counted as skipped: not twice
    const counted = this.#droppedWhileCatchingUp.filter((id) => id <= newestRead).length;
    this.#droppedWhileCatchingUp = [];
    this.#dropped += skipped - counted;
    this.#droppedIsLowerBound ||= skippedIsLowerBound;
    this.#dropOldest();
    this.#schedule();
  }

  #dropOldest(): void {
    const excess = this.buffered() - this.#max;
    if (excess > 0) {
      if (this.#catchingUp) {
        for (let i = this.#head; i < this.#head + excess; i++)
          this.#droppedWhileCatchingUp.push((this.#buffer[i] as LogEntry).id);
      }
      // dropped entries must not stay reachable from here until the next compaction
      this.#buffer.fill(undefined, this.#head, this.#head + excess);
      this.#head += excess;
      this.#dropped += excess;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#paused || this.#catchingUp || this.closed || this.buffered() === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#deliver();
    });
  }

  #deliver(): void {
    if (this.#paused || this.#catchingUp || this.closed || this.buffered() === 0) return;
    const batch = this.#pending();
    this.#buffer = [];
    this.#head = 0;
    this.#floor = Math.max(this.#floor, (batch.at(-1) as LogEntry).id);
    try {
      this.#onEntries(batch);
    } catch (error) {
      this.#logger.error({ err: error }, "live-tail subscriber threw; entries delivered to it are lost");
    }
  }

  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    this.#buffer = [];
    this.#head = 0;
    this.#detach(this);
  }

  dropped(): number {
    return this.#dropped;
  }

  droppedIsLowerBound(): boolean {
    return this.#droppedIsLowerBound;
  }

  #pending(): LogEntry[] {
    return this.#buffer.slice(this.#head) as LogEntry[];
  }

  buffered(): number {
    return this.#buffer.length - this.#head;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#schedule();
  }
}

/** Fans committed entries out to live-tail subscribers; listens to storage only while it has any. */
export class LiveTail {
  readonly #storage: LogStorage;
  readonly #logger: ServiceLogger;
  readonly #subscribers = new Set<Subscriber>();
  #unlisten: (() => void) | undefined;
  #droppedByGone = 0;

  constructor(storage: LogStorage, logger: ServiceLogger) {
    this.#storage = storage;
    this.#logger = logger;
  }

  subscribe(
    filter: TailFilter,
    onEntries: (entries: LogEntry[]) => void,
    { maxBuffered = DEFAULT_MAX_BUFFERED, afterId }: SubscribeOptions = {},
  ): TailSubscription {
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
      throw new RangeError(`Expected \`maxBuffered\` to be an integer >= 1, got \`${maxBuffered}\``);
    }
    const subscriber = new Subscriber(filter, onEntries, maxBuffered, (s) => this.#remove(s), this.#logger);
    this.#subscribers.add(subscriber);
    this.#unlisten ??= this.#storage.onCommit((entries) => {
      for (const s of this.#subscribers) s.offer(entries);
    });
    if (afterId !== undefined) {
      // Listening first, reading second: a commit is then either read, notified, or both (kept once).
      subscriber.holdForHistory();
      subscriber.caughtUp = this.#storage
        .committedAfter({ ...filter, afterId, limit: Math.min(maxBuffered, MAX_HISTORY) })
        .then(
          (missed) => subscriber.catchUp(missed),
          (error: unknown) => {
            subscriber.unsubscribe();
            this.#logger.error({ err: error }, "live-tail resume could not read the missed entries");
            throw error;
          },
        );
      // the caller may await it (an HTTP route answers the error); unawaited, it is logged above
      subscriber.caughtUp.catch(() => {});
    }
    return subscriber;
  }

  /** Current subscribers. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Entries dropped for slow subscribers, including those gone since. */
  get dropped(): number {
    let total = this.#droppedByGone;
    for (const s of this.#subscribers) total += s.dropped();
    return total;
  }

  close(): void {
    for (const s of [...this.#subscribers]) s.unsubscribe();
  }

  #remove(subscriber: Subscriber): void {
    if (!this.#subscribers.delete(subscriber)) return;
    this.#droppedByGone += subscriber.dropped();
    if (this.#subscribers.size === 0) {
      this.#unlisten?.();
      this.#unlisten = undefined;
    }
  }
}
