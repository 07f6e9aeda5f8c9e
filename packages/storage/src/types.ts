import type { LogLevel } from "./levels.js";

export type LogFields = Record<string, unknown>;

/** What a producer hands to `store()`. `id` is set by the store once the entry's batch commits. */
export interface NewLogEntry {
  /** Defaults to the time `store()` was called. ISO-8601 string or epoch milliseconds accepted. */
  timestamp?: Date | string | number;
  /** Defaults to `info`. Case-insensitive; aliases such as `warning` or `critical` map. */
  level?: LogLevel | string;
  /** 1–256 characters; defaults to `unknown`. */
  source?: string;
  /** May be empty only when `fields` has at least one key. */
  message: string;
  fields?: LogFields;
  id?: number;
}

export interface LogEntry {
  id: number;
  timestamp: Date;
  level: LogLevel;
  source: string;
  message: string;
  fields: LogFields | null;
}

export interface SearchQuery {
  /** FTS5 query over `message`: words, "phrases", prefix*, AND/OR/NOT. */
  text?: string;
  /** FTS5 query over `message` that an entry must NOT match (with `text`: both hold). */
  notText?: string;
  levels?: LogLevel[];
  minLevel?: LogLevel;
  sources?: string[];
  from?: Date;
  to?: Date;
  /**
   * Exact match on top-level keys of `fields`: a string value as it is, any other as its JSON
   * (`"500"` matches 500 and "500"; `"true"` true and "true"); null and missing keys never match.
   */
  fields?: Record<string, string>;
  /**
   * Leaves out the entries whose `fields.<key>` equals one of the values (compared as `fields`
   * compares); entries without the key, or with null there, are kept.
   */
  notFields?: Record<string, readonly string[]>;
  /** Default 100, max 1000. */
  limit?: number;
  /** Opaque `nextCursor` of a previous page. */
  cursor?: string;
}

export interface SearchPage {
  entries: LogEntry[];
  /** Present when more entries may follow. */
  nextCursor?: string;
}

export interface BucketQuery extends Omit<SearchQuery, "limit" | "cursor" | "from" | "to"> {
  from: Date;
  to: Date;
  bucketMs: number;
}

/** Entries committed after a given one (a live tail resuming from its Last-Event-ID). */
export interface CommittedAfterQuery extends Omit<SearchQuery, "limit" | "cursor"> {
  /** The id of the last entry the reader saw: only later commits (higher ids) are returned. */
  afterId: number;
  /** At most this many, the newest (1–1000). */
  limit: number;
}

export interface CommittedAfter {
  /** The newest `limit` matching entries committed after `afterId`, in commit order (id ascending). */
  entries: LogEntry[];
  /**
   * Older matching entries committed after `afterId` that did not fit in `limit`, counted among
   * at most `skippedCountWindow` entries committed just before `entries`.
   */
  skipped: number;
  /** Entries older than that window were not examined: `skipped` is at least this many, maybe more. */
  skippedIsLowerBound: boolean;
}

/** The entries around one entry, in the search order (timestamp, then id): what a "show context" view lists. */
export interface ContextQuery extends Omit<SearchQuery, "limit" | "cursor"> {
  /** The entry to look around. */
  id: number;
  /** How many entries just older than it (0–1000). @default 10 */
  before?: number;
  /** How many entries just newer than it (0–1000). @default 10 */
  after?: number;
}

export interface EntryContext {
  /** The entry asked for; the filters apply to its neighbours, not to it. */
  entry: LogEntry;
  /** Up to `after` entries just newer than it, newest first (`[...newer, entry, ...older]` is the window). */
  newer: LogEntry[];
  /** Up to `before` entries just older than it, newest first. */
  older: LogEntry[];
  /** More matching entries are newer than the window / older than it. */
  moreNewer: boolean;
  moreOlder: boolean;
}

export interface BucketCount {
  /** Start of the bucket, epoch milliseconds (a multiple of bucketMs). */
  bucketStart: number;
  level: LogLevel;
  count: number;
}

export interface CleanupPolicy {
  /** Entries stamped before this are deleted (of every level not in `olderThanByLevel`). */
  olderThan?: Date;
  /**
   * A cutoff per level, in place of `olderThan` for the levels named: keep debug for a day and
   * errors for 90 days (`{ debug: dayAgo, error: ninetyDaysAgo }`) with `olderThan` for the rest.
   */
  olderThanByLevel?: Partial<Record<LogLevel, Date>>;
  maxEntries?: number;
  /**
   * Keep the database's pages in use (the file without its free pages; the WAL and the disk
   * reserve are apart) under this many bytes, deleting the oldest entries. Approximate: a round
   * deletes the share of entries the excess is of the bytes in use; one still over its limit
   * after deleting merges the full-text index (whose delete markers would count as room the
   * entries need) before measuring again, so a run ends near the limit, not far under it.
   */
  maxBytes?: number;
}

/** What a database holds: its pages in use, in bytes, and its entries. */
export interface Footprint {
  usedBytes: number;
  entries: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface StorageStats {
  implementation: "batched" | "direct";
  entriesEnqueued: number;
  entriesStored: number;
  entriesFailed: number;
  entriesRejected: number;
  /** Entries deleted by cleanup() (retention), counted as each chunk of a run commits. */
  entriesDeleted: number;
  /** Entries deleted by deleteEntries() (a request to erase them). */
  entriesErased: number;
  /** Rejections by reason: queue_full, closed, validation, timeout. */
  rejectedByReason: Record<string, number>;
  batches: number;
  retries: number;
  consecutiveFailures: number;
  queueDepth: number;
  queueCapacity: number;
  /** Approximate bytes held by the entries not yet committed, and its bound. */
  queueBytes: number;
  queueCapacityBytes: number;
  /** Entries per committed batch. */
  batchSize: LatencySummary;
  /** Milliseconds a batch transaction took. */
  commitLatencyMs: LatencySummary;
  /** Milliseconds from `store()` to the commit that acknowledged it. */
  enqueueToCommitMs: LatencySummary;
  /** Size of the database file (null on a server); shrinks after a cleanup on files created with auto_vacuum=INCREMENTAL. */
  databaseBytes: number | null;
  walBytes: number | null;
  /**
   * Size of the disk reserve file (`<db>.reserve`) now: 0 while it is released or could not be
   * created (less free space than it needs); null when the storage keeps none (a server URL, an
   * embedded replica, the direct baseline, `diskReserveBytes: 0`).
   */
  diskReserveBytes: number | null;
  /** Free space on the volume holding the database file, for its writer (null on a server). */
  diskFreeBytes: number | null;
  /**
   * The checkpointer thread's PASSIVE checkpoints (`checkpointThread`): completed, and failed (each
   * failing spell is also logged once). Null where it does not run.
   */
  backgroundCheckpoints: { completed: number; failed: number } | null;
  lastCommitAt: Date | null;
  lastError: { message: string; code?: string; at: Date } | null;
}

export type HealthStatus = "ok" | "degraded" | "down";

export interface StorageHealth {
  status: HealthStatus;
  reasons: string[];
  queue: { depth: number; capacity: number };
  lastCommitAt: Date | null;
  consecutiveFailures: number;
  /** When the current run of write failures began (null while writes succeed): how long it has lasted. */
  failingSince: Date | null;
  /** The queue holds 90% or more of its capacity in entries or bytes (one of the degraded reasons). */
  queueHighWater: boolean;
  /**
   * The way out of a full disk: `held`, `missing` (released to escape a full disk, or the volume
   * lacks the room to create it: a full disk would stop writes until space is freed), or `off`.
   * Missing does not change `status`: writes still succeed, it is a warning.
   */
  diskReserve: "held" | "missing" | "off";
}

/** A committed batch as seen by post-commit listeners (live tail). */
export type CommitListener = (entries: readonly LogEntry[]) => void;

/** One committed batch, for metrics: no entry is decoded to produce it. */
export interface BatchEvent {
  /** Entries committed by this transaction. */
  size: number;
  /** Milliseconds the transaction took. */
  commitMs: number;
  /** Per entry: milliseconds from store() to this commit. */
  enqueueToCommitMs: readonly number[];
}

export type BatchListener = (batch: BatchEvent) => void;

/** What `enqueueEach` resolves with: the entries are queued, their commits pending. */
export interface QueuedEntries {
  /** Every entry's outcome, in input order, once all have committed or failed. */
  committed: Promise<PromiseSettledResult<number>[]>;
  /** Entries refused at once, by input index (also rejected in `committed`). */
  refused: ReadonlyMap<number, Error>;
}

export interface LogStorage {
  /** Resolves with the id once the entry's batch has committed; also sets `entry.id`. */
  store(entry: NewLogEntry): Promise<number>;
  /** Same as `store` for each entry; ids in input order. Rejects if any entry fails (see `storeEach`). */
  storeMany(entries: NewLogEntry[]): Promise<number[]>;
  /** Per-entry outcome without failing the whole call: what the HTTP layer uses for partial success. */
  storeEach(entries: NewLogEntry[]): Promise<PromiseSettledResult<number>[]>;
  /**
   * Queues the entries all or none, and resolves as soon as they are queued (HTTP `?wait=false`
   * answers then), with their commit outcomes still to come. Rejects, queuing nothing, when the
   * queue cannot take them all (QueueFullError; with `whenFull: "wait"` after `enqueueTimeoutMs`)
   * or the storage is closed. An entry refused on its own (ValidationError) is in `refused` at once.
   */
  enqueueEach(entries: NewLogEntry[]): Promise<QueuedEntries>;
  search(query: SearchQuery): Promise<SearchPage>;
  getRecent(limit: number): Promise<LogEntry[]>;
  cleanup(policy: CleanupPolicy): Promise<number>;
  /**
   * Deletes the entries with these ids (at most 10,000; ids no entry has are skipped) in one
   * transaction on the writer; resolves with the number deleted. The full-text index follows.
   */
  deleteEntries(ids: readonly number[]): Promise<number>;
  /** Entry counts per time bucket per level (for volume histograms); filters as in `search`. */
  countByBucket(query: BucketQuery): Promise<BucketCount[]>;
  /** Entries committed after `afterId` that pass the filters, in commit order: a live tail's resume. */
  committedAfter(query: CommittedAfterQuery): Promise<CommittedAfter>;
  /** The entries just newer and older than entry `id` that pass the filters; null if no entry has that id. */
  context(query: ContextQuery): Promise<EntryContext | null>;
  stats(): StorageStats;
  health(): StorageHealth;
  /**
   * Registers a listener called after each commit with the committed entries; returns an
   * unsubscribe. A listener that throws, or an async one that rejects, is logged and skipped.
   */
  onCommit(listener: CommitListener): () => void;
  /**
   * Registers a listener called after each committed batch with its size and latencies (metrics).
   * A listener that throws, or an async one that rejects, is logged and skipped.
   */
  onBatch(listener: BatchListener): () => void;
  close(): Promise<void>;
}
