import type { CursorPosition } from "../cursor.js";
import { ValidationError } from "../errors.js";
import type { LogReads } from "../log-reader.js";
import { threadEntry } from "../threads/spawn-thread.js";
import { ThreadClient } from "../threads/thread-client.js";
import { DriverThreadError, type ThreadErrorInfo } from "../threads/thread-protocol.js";
import type {
  BucketCount,
  BucketQuery,
  CommittedAfter,
  CommittedAfterQuery,
  LogEntry,
  SearchPage,
  SearchQuery,
} from "../types.js";
import type { ReaderInit, ReaderRequest } from "./reader-protocol.js";

/**
 * LogReader in a worker thread (local files): @libsql/client runs a query synchronously on the
 * thread that calls it, so on the main thread a 50 ms search would hold every commit
 * acknowledgement and HTTP request for 50 ms. Results come back by structured clone (Dates
 * included); a ValidationError is rebuilt with its field.
 */
export class ThreadedLogReader implements LogReads {
  readonly #thread: ThreadClient;

  private constructor(thread: ThreadClient) {
    this.#thread = thread;
  }

  /** The thread starts with the first read: ingest-only processes never pay for it. */
  static lazy(init: ReaderInit): ThreadedLogReader {
    const thread = ThreadClient.lazy({
      entry: threadEntry(import.meta.url, "./reader-worker"),
      workerData: init,
      // Pages of at most 1000 entries: a small heap, grown by at most ~1.4× between collections.
      resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 8 },
      toError: rebuildError,
    });
    return new ThreadedLogReader(thread);
  }

  search(query: SearchQuery): Promise<SearchPage> {
    return this.#request({ op: "search", query }) as Promise<SearchPage>;
  }

  getRecent(limit: number): Promise<LogEntry[]> {
    return this.#request({ op: "getRecent", limit }) as Promise<LogEntry[]>;
  }

  countByBucket(query: BucketQuery): Promise<BucketCount[]> {
    return this.#request({ op: "countByBucket", query }) as Promise<BucketCount[]>;
  }

  committedAfter(query: CommittedAfterQuery): Promise<CommittedAfter> {
    return this.#request({ op: "committedAfter", query }) as Promise<CommittedAfter>;
  }

  cutoffToKeep(keep: number): Promise<CursorPosition | null> {
    return this.#request({ op: "cutoffToKeep", keep }) as Promise<CursorPosition | null>;
  }

  close(): Promise<void> {
    return this.#thread.close({ op: "close" });
  }

  /** Threads started after the first one died. */
  get restarts(): number {
    return this.#thread.restarts;
  }

  /** Stops the thread abruptly, as a crash would (tests use it to prove the restart). */
  kill(): Promise<void> {
    return this.#thread.kill();
  }

  #request(request: ReaderRequest): Promise<unknown> {
    return this.#thread.request(request);
  }
}

function rebuildError(info: ThreadErrorInfo): Error {
  if (info.name === "ValidationError" && info.field !== undefined) {
    const prefix = `${info.field}: `;
    const message = info.message.startsWith(prefix) ? info.message.slice(prefix.length) : info.message;
    return new ValidationError(info.field, message);
  }
  return new DriverThreadError(info);
}
