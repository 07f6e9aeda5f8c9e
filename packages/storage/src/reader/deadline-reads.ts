import type { CursorPosition } from "../cursor.js";
import { QueryTimeoutError } from "../errors.js";
import type { LogReads } from "../log-reader.js";
import type {
  BucketCount,
  BucketQuery,
  CommittedAfter,
  CommittedAfterQuery,
  ContextQuery,
  EntryContext,
  Footprint,
  LogEntry,
  SearchPage,
  SearchQuery,
} from "../types.js";

/**
 * queryTimeoutMs for reads on the storage's own client (a libSQL server, an embedded replica, or
 * readerThread: false). Only the caller stops waiting: @libsql/client cannot cancel a statement,
 * so a server finishes it, and a local one runs on the event loop, where no timer fires until
 * the statement returns (the deadline then applies between the statements of a search).
 */
export class DeadlineReads implements LogReads {
  readonly #inner: LogReads;
  readonly #timeoutMs: number;

  constructor(inner: LogReads, timeoutMs: number) {
    this.#inner = inner;
    this.#timeoutMs = timeoutMs;
  }

  search(query: SearchQuery): Promise<SearchPage> {
    return this.#bounded(() => this.#inner.search(query));
  }

  getRecent(limit: number): Promise<LogEntry[]> {
    return this.#bounded(() => this.#inner.getRecent(limit));
  }

  countByBucket(query: BucketQuery): Promise<BucketCount[]> {
    return this.#bounded(() => this.#inner.countByBucket(query));
  }

  committedAfter(query: CommittedAfterQuery): Promise<CommittedAfter> {
    return this.#bounded(() => this.#inner.committedAfter(query));
  }

  context(query: ContextQuery): Promise<EntryContext | null> {
    return this.#bounded(() => this.#inner.context(query));
  }

  /** Retention's read: not timed (see ProcessLogReader). */
  cutoffToKeep(keep: number): Promise<CursorPosition | null> {
    return this.#inner.cutoffToKeep(keep);
  }

  /** Retention's read: not timed either. */
  footprint(): Promise<Footprint> {
    return this.#inner.footprint();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  #bounded<T>(read: () => Promise<T>): Promise<T> {
    const running = read();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new QueryTimeoutError(this.#timeoutMs, false)), this.#timeoutMs);
      running.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }
}
