/** Base class: every error batchlog raises carries a stable `code`. */
export class BatchlogError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export interface ConfigIssue {
  field: string;
  message: string;
}

/** An invalid configuration; `issues` names every bad field. */
export class ConfigError extends BatchlogError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(
      "BATCHLOG_CONFIG",
      `invalid configuration: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`,
    );
    this.issues = issues;
  }
}

/** One entry (or query) is invalid; `field` names the offending field. */
export class ValidationError extends BatchlogError {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super("BATCHLOG_VALIDATION", `${field}: ${message}`, options);
    this.field = field;
  }
}

/**
 * The queue holds `queueCapacity` uncommitted entries (or `queueCapacityBytes` of them); retry
 * after `retryAfterMs`. `limit` is the entry count, or a description of the limit reached.
 */
export class QueueFullError extends BatchlogError {
  readonly retryAfterMs: number;
  /**
   * The call holds more than the whole queue (entries or bytes): no retry of it can succeed, it
   * must be split (the HTTP layer answers 413, not 429).
   */
  readonly neverFits: boolean;
  constructor(limit: number | string, retryAfterMs: number, neverFits = false) {
    const what = typeof limit === "number" ? `${limit} entries waiting to commit` : limit;
    super(
      "BATCHLOG_QUEUE_FULL",
      neverFits
        ? `larger than the whole queue (${what}): split it`
        : `queue full (${what}); retry after ${retryAfterMs} ms`,
    );
    this.retryAfterMs = retryAfterMs;
    this.neverFits = neverFits;
  }
}

/** The entry did not commit within `writeTimeoutMs`; it will not be written afterwards. */
export class WriteTimeoutError extends BatchlogError {
  /** True when the entry was still queued and has been withdrawn: it will never be written. */
  readonly withdrawn: boolean;
  constructor(timeoutMs: number, withdrawn: boolean) {
    super(
      "BATCHLOG_WRITE_TIMEOUT",
      withdrawn
        ? `entry not committed within ${timeoutMs} ms; it was withdrawn from the queue and will not be written`
        : `entry not committed within ${timeoutMs} ms; its batch was being written and may still commit (once)`,
    );
    this.withdrawn = withdrawn;
  }
}

export class StorageClosedError extends BatchlogError {
  constructor() {
    super("BATCHLOG_CLOSED", "storage is closed");
  }
}

/** The database cannot be used: not a database, corrupt, unreachable, or shut down while failing. */
export class StorageUnavailableError extends BatchlogError {
  /**
   * True when an attempt's answer was lost (a remote server): the entry may have been written,
   * once, so sending it again could store it twice.
   */
  readonly mayHaveCommitted: boolean;
  constructor(message: string, options?: { cause?: unknown; mayHaveCommitted?: boolean }) {
    super("BATCHLOG_UNAVAILABLE", message, options);
    this.mayHaveCommitted = options?.mayHaveCommitted ?? false;
  }
}

/**
 * A read (search, recent entries, volume counts, live-tail catch-up) did not finish within
 * `queryTimeoutMs`. The caller should narrow it (a shorter time range, an indexed field): the
 * same query would time out again.
 */
export class QueryTimeoutError extends BatchlogError {
  readonly timeoutMs: number;
  /**
   * True when the query no longer runs (its reader process was killed, or it never started);
   * false when only the caller stopped waiting: a libSQL server, or a read on the event loop,
   * finishes it.
   */
  readonly stopped: boolean;
  constructor(timeoutMs: number, stopped: boolean) {
    super(
      "BATCHLOG_QUERY_TIMEOUT",
      `query did not finish within ${timeoutMs} ms${stopped ? " and was stopped" : ""}: narrow it (a shorter time range, fewer or indexed fields)`,
    );
    this.timeoutMs = timeoutMs;
    this.stopped = stopped;
  }
}
