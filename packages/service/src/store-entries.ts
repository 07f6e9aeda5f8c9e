import {
  type LogStorage,
  type QueuedEntries,
  QueueFullError,
  StorageClosedError,
  StorageUnavailableError,
  ValidationError,
  WriteTimeoutError,
} from "@batchlog/storage";
import { PayloadTooLargeError } from "./errors.js";
import { type ItemIssue, isItemIssue, type ValidEntry } from "./native-entry.js";
import type { ServiceLogger } from "./service-logger.js";

/** Why one item of a request was not stored. */
export interface IngestError {
  /** Position of the item in the request (array element, NDJSON line, Loki value, OTLP record). */
  index: number;
  /** NDJSON: the item's line in the body, 1-based (blank lines are no items: it can differ from index + 1). */
  lineNumber?: number;
  /** Readable reason, safe to return to the client. */
  error: string;
  /** The entry field at fault, for validation errors. */
  field?: string;
  /**
   * Stable code: `BATCHLOG_VALIDATION`, `BATCHLOG_TOO_OLD` / `BATCHLOG_TOO_NEW` (stamped outside
   * the accepted window, see timestamp-window.ts), or the storage error's code (`BATCHLOG_QUEUE_FULL` …).
   */
  code?: string;
  /**
   * True when sending the same item again later may succeed and cannot store it twice (a
   * storage-side failure); false for a write timeout whose entry may still commit, or a remote
   * write whose answer was lost (the entry may be stored already).
   */
  retryable?: boolean;
}

/**
 * Outcome of an ingestion request. `ids[i]` is the id of item `i` once committed, or null when it
 * was refused (see `errors`) or, with `wait: false`, not yet known. `accepted` counts stored (or,
 * with `wait: false`, enqueued) items. `retryAfterMs` is set when some items hit a full queue.
 */
export interface IngestResult {
  ids: (number | null)[];
  errors: IngestError[];
  accepted: number;
  retryAfterMs?: number;
}

/** One item as an adapter produced it: a validated entry, or why it was refused before storage. */
export type Candidate = ValidEntry | ItemIssue;

type StorageFailure = QueueFullError | StorageClosedError | StorageUnavailableError | WriteTimeoutError;

export function isStorageFailure(error: unknown): error is StorageFailure {
  return (
    error instanceof QueueFullError ||
    error instanceof StorageClosedError ||
    error instanceof StorageUnavailableError ||
    error instanceof WriteTimeoutError
  );
}

/**
 * Stores the valid candidates with `storeEach` and reports each item's outcome.
 *
 * Partial success: invalid items and items the storage refused are listed in `errors`, the rest
 * are stored. When NOTHING was stored and at least one item failed for a storage reason (queue
 * full, closed, unavailable, write timeout), that storage error is thrown instead, so that the
 * HTTP layer answers 429/503 and the client retries the whole request. More valid entries than
 * `queueCapacity` is a PayloadTooLargeError (413): such a request could never be enqueued.
 */
export function storeCandidates(
  storage: LogStorage,
  candidates: Candidate[],
  queueCapacity: number = Number.POSITIVE_INFINITY,
): Promise<IngestResult> {
  const { ids, errors, valid } = splitCandidates(candidates);
  if (valid.length === 0) return Promise.resolve({ ids, errors, accepted: 0 });
  // storeEach enqueues all or nothing: a request larger than the whole queue would get a
  // QueueFullError (429) on every retry, so it is refused as too large instead.
  if (valid.length > queueCapacity) {
    return Promise.reject(new PayloadTooLargeError({ entries: queueCapacity, received: valid.length }));
  }
  let settled: Promise<PromiseSettledResult<number>[]>;
  try {
    settled = storage.storeEach(valid.map((v) => v.entry));
  } catch (error) {
    return Promise.reject(error);
  }
  // The storage holds the entries encoded: only their positions wait for the commit. Anything
  // reachable from a suspended async frame until then is copied by every young-generation GC.
  return collectOutcomes(
    settled,
    ids,
    errors,
    valid.map((v) => v.index),
  );
}

async function collectOutcomes(
  settled: Promise<PromiseSettledResult<number>[]>,
  ids: (number | null)[],
  errors: IngestError[],
  indexes: number[],
): Promise<IngestResult> {
  const outcomes = await settled;
  let accepted = 0;
  const failures: { index: number; reason: unknown }[] = [];
  outcomes.forEach((outcome, i) => {
    const index = indexes[i] as number;
    if (outcome.status === "fulfilled") {
      ids[index] = outcome.value;
      accepted++;
    } else failures.push({ index, reason: outcome.reason });
  });
  return finish(ids, errors, accepted, failures);
}

export interface EnqueueTracker {
  /** Called once per request with the items that failed after it returned (`error` is the first). */
  onLateFailure(error: unknown, count: number): void;
  /** Registers the promise of the whole enqueued request so that `close()` can await it. */
  track(settled: Promise<unknown>): void;
}

/**
 * `wait: false`: answers once the valid candidates are queued, without awaiting their commits.
 * They are queued all or none (`LogStorage.enqueueEach`): a request the queue cannot take whole is
 * refused whole (429, nothing stored, so the client's retry cannot store anything twice), and one
 * larger than the whole queue is a PayloadTooLargeError (413). Entries the storage refuses on
 * their own are reported in `errors`; anything that fails after the answer is handed to
 * `tracker.onLateFailure`, never dropped silently. `ids` are all null.
 */
export async function enqueueCandidates(
  storage: LogStorage,
  candidates: Candidate[],
  tracker: EnqueueTracker,
  queueCapacity: number = Number.POSITIVE_INFINITY,
): Promise<IngestResult> {
  const { ids, errors, valid } = splitCandidates(candidates);
  if (valid.length === 0) return { ids, errors, accepted: 0 };
  if (valid.length > queueCapacity) {
    throw new PayloadTooLargeError({ entries: queueCapacity, received: valid.length });
  }
  let queued: QueuedEntries;
  try {
    refuseWhileWritesFail(storage);
    queued = await storage.enqueueEach(valid.map((v) => v.entry));
  } catch (error) {
    throw tooLargeForTheQueue(error) ?? refusedWholeWith(error, valid.length);
  }
  // Late failures are reported once per request, when all of its entries have settled.
  tracker.track(
    queued.committed.then((outcomes) => {
      let count = 0;
      let first: unknown;
      outcomes.forEach((outcome, i) => {
        if (outcome.status === "fulfilled" || queued.refused.has(i)) return;
        count++;
        first ??= outcome.reason;
      });
      if (count > 0) tracker.onLateFailure(first, count);
    }),
  );
  const failures = [...queued.refused].map(([i, reason]) => ({
    index: (valid[i] as { index: number }).index,
    reason,
  }));
  const result = finish(ids, errors, valid.length - failures.length, failures);
  result.ids = ids.map(() => null);
  return result;
}

/**
 * No acknowledgement before the commit while commits are failing: an entry answered 202 now
 * would wait in the queue until the database recovers or its write timeout withdraws it (a full
 * disk lost a queue's worth, 100,000 entries answered 202, in 30 s). A 503 keeps it with the
 * sender, who retries; `?wait=true` requests still queue, as their answer waits for the commit.
 */
function refuseWhileWritesFail(storage: LogStorage): void {
  const health = storage.health();
  // Only while entries wait on the failing writes: once they were refused or withdrawn nothing
  // is being written, so nothing would ever succeed and clear the count (all-wait=false senders
  // were locked out for good); this request's write then shows whether the database works again.
  if (health.consecutiveFailures === 0 || health.queue.depth === 0) return;
  throw new StorageUnavailableError(
    `writes are failing (${health.consecutiveFailures} attempts since ${health.failingSince?.toISOString() ?? "recently"}): ` +
      "?wait=false is refused until one succeeds; retry later, or send with wait=true",
  );
}

/**
 * The entries of each request the storage refused whole, by the error thrown for it (the storage
 * creates one per call): metrics count refused entries, and a request refused whole (429, 503)
 * is thrown, not answered item by item.
 */
const refusedWhole = new WeakMap<object, number>();

function refusedWholeWith(error: unknown, entries: number): unknown {
  if (typeof error === "object" && error !== null) refusedWhole.set(error, entries);
  return error;
}

/** How many entries the ingest request that threw `error` held, when the storage refused it whole. */
export function entriesRefusedBy(error: unknown): number | undefined {
  return typeof error === "object" && error !== null ? refusedWhole.get(error) : undefined;
}

function splitCandidates(candidates: Candidate[]) {
  const ids: (number | null)[] = new Array(candidates.length).fill(null);
  const errors: IngestError[] = [];
  const valid: { index: number; entry: ValidEntry }[] = [];
  candidates.forEach((candidate, index) => {
    if (isItemIssue(candidate))
      errors.push({ index, ...candidate, code: candidate.code ?? "BATCHLOG_VALIDATION" });
    else valid.push({ index, entry: candidate });
  });
  return { ids, errors, valid };
}

function finish(
  ids: (number | null)[],
  errors: IngestError[],
  accepted: number,
  failures: { index: number; reason: unknown }[],
): IngestResult {
  let storageError: unknown;
  let retryAfterMs: number | undefined;
  for (const { index, reason } of failures) {
    errors.push(describeFailure(index, reason));
    if (reason instanceof ValidationError) continue;
    storageError ??= reason;
    if (reason instanceof QueueFullError) retryAfterMs = Math.max(retryAfterMs ?? 0, reason.retryAfterMs);
  }
  if (accepted === 0 && storageError !== undefined) {
    throw tooLargeForTheQueue(storageError) ?? refusedWholeWith(storageError, failures.length);
  }
  errors.sort((a, b) => a.index - b.index);
  const result: IngestResult = { ids, errors, accepted };
  if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
  return result;
}

/** A request more than the whole queue holds (in bytes: known only once encoded) is a 413, not a 429. */
function tooLargeForTheQueue(error: unknown): PayloadTooLargeError | undefined {
  if (!(error instanceof QueueFullError) || !error.neverFits) return undefined;
  return new PayloadTooLargeError({ queue: error.message });
}

function describeFailure(index: number, reason: unknown): IngestError {
  if (reason instanceof ValidationError) {
    return { index, error: reason.message, field: reason.field, code: reason.code };
  }
  if (isStorageFailure(reason)) {
    // A write timeout on an entry already in a transaction may still commit, and a remote write
    // whose answer was lost may have committed: resending either could store it twice.
    const retryable =
      !(reason instanceof WriteTimeoutError && !reason.withdrawn) &&
      !(reason instanceof StorageUnavailableError && reason.mayHaveCommitted);
    return { index, error: reason.message, code: reason.code, retryable };
  }
  // An unexpected driver error: its message may quote log contents, so it is not echoed.
  return { index, error: "storage error", code: "BATCHLOG_STORAGE_ERROR", retryable: true };
}

/** At most one late-failure line per this many ms; the others are counted into the next line. */
export const LATE_FAILURE_LOG_INTERVAL_MS = 10_000;

/**
 * Logs the late (post-response) failures of requests, at warn level: the first at once, then at
 * most one line per interval carrying how many requests and entries it left out. While the
 * database is down every wait=false request fails late, and a line (with a stack) per request
 * would bury everything else in the operator's logs.
 */
export function lateFailureLogger(logger: ServiceLogger, intervalMs = LATE_FAILURE_LOG_INTERVAL_MS) {
  let lastAt = Number.NEGATIVE_INFINITY;
  let suppressedRequests = 0;
  let suppressedEntries = 0;
  return (error: unknown, count: number, now = performance.now()): void => {
    if (now - lastAt < intervalMs) {
      suppressedRequests++;
      suppressedEntries += count;
      return;
    }
    logger.warn(
      {
        err: error,
        count,
        code: (error as { code?: string } | null)?.code,
        ...(suppressedRequests > 0 && { suppressedRequests, suppressedEntries }),
      },
      "log entries accepted with wait=false failed to store",
    );
    lastAt = now;
    suppressedRequests = 0;
    suppressedEntries = 0;
  };
}
