import type { LogEntry, LogStorage } from "@batchlog/storage";
import type { ServiceLogger } from "./service-logger.js";
import { compileTailFilter, type TailFilter } from "./tail-filter.js";

export interface SubscribeOptions {
  /**
   * Entries held for a subscriber that is paused or has not been called back yet; past it the
   * oldest are dropped and counted in `dropped()`. @default 1000
   */
  maxBuffered?: number;
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
  /** Entries waiting to be delivered. */
  buffered(): number;
  pause(): void;
  resume(): void;
  readonly closed: boolean;
}

const DEFAULT_MAX_BUFFERED = 1000;

class Subscriber implements TailSubscription {
  closed = false;
  #paused = false;
  #scheduled = false;
  #dropped = 0;
  #buffer: LogEntry[] = [];
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
      if (!this.#matches(entry)) continue;
      this.#buffer.push(entry);
      added = true;
    }
    const excess = this.buffered() - this.#max;
    if (excess > 0) {
      this.#head += excess;
      this.#dropped += excess;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    if (added) this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#paused || this.closed || this.buffered() === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#deliver();
    });
  }

  #deliver(): void {
    if (this.#paused || this.closed || this.buffered() === 0) return;
    const batch = this.#buffer.slice(this.#head);
    this.#buffer = [];
    this.#head = 0;
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
    { maxBuffered = DEFAULT_MAX_BUFFERED }: SubscribeOptions = {},
  ): TailSubscription {
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
      throw new RangeError(`Expected \`maxBuffered\` to be an integer >= 1, got \`${maxBuffered}\``);
    }
    const subscriber = new Subscriber(filter, onEntries, maxBuffered, (s) => this.#remove(s), this.#logger);
    this.#subscribers.add(subscriber);
    this.#unlisten ??= this.#storage.onCommit((entries) => {
      for (const s of this.#subscribers) s.offer(entries);
    });
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
