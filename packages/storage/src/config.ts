import type { Logger } from "pino";
import { z } from "zod";
import { ConfigError } from "./errors.js";
import { filePathOf } from "./file-url.js";
import { LARGEST_ENTRY_FIXED_BYTES, largestEntryBytes } from "./largest-entry.js";

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
/**
 * A delay a Node.js timer waits: at most 2^31 - 1 ms (about 24.8 days). Asked for more, a timer
 * fires after 1 ms (TimeoutOverflowWarning): every read would time out at once, a retry would not
 * wait at all.
 */
const MAX_TIMER_MS = 2_147_483_647;
const timerMs = positiveInt.max(
  MAX_TIMER_MS,
  "at most 2147483647 ms (about 24.8 days, the longest a timer waits)",
);
const timerMsOrZero = nonNegativeInt.max(
  MAX_TIMER_MS,
  "at most 2147483647 ms (about 24.8 days, the longest a timer waits)",
);

/**
 * Entries a resume examines at most to count the matches it skipped. On 3M rows with 2.5M since
 * the id, counting them all took 226 ms (205 ms with a full-text `q`); 100,000 entries take
 * 9 ms (14 ms with `q`). See LogReader.committedAfter.
 */
export const DEFAULT_SKIPPED_COUNT_WINDOW = 100_000;

const retrySchema = z
  .object({
    initialDelayMs: timerMs.default(50),
    maxDelayMs: timerMs.default(5000),
    maxAttempts: z
      .union([positiveInt, z.literal(Number.POSITIVE_INFINITY)])
      .default(Number.POSITIVE_INFINITY),
  })
  .strict();

const urlSchema = z
  .string()
  .min(1)
  .refine((u) => /^(file|libsql|https?|wss?):/.test(u), {
    message: "must start with file:, libsql://, http(s):// or ws(s)://",
  });

export const batchConfigSchema = z
  .object({
    /** libSQL URL: `file:` embedded, or a libSQL server. @default "file:./data/batchlog.db" */
    url: urlSchema.default("file:./data/batchlog.db"),
    /** Token for a libSQL server or Turso. */
    authToken: z.string().min(1).optional(),
    /** Embedded replica: a `file:` url that syncs from this server URL. */
    syncUrl: urlSchema.optional(),
    /** Embedded replica: seconds between background syncs. */
    syncIntervalSec: positiveInt.optional(),
    /** Entries per transaction. @default 1000 */
    maxBatchSize: positiveInt.max(32766).default(1000),
    /** Longest an entry waits for its batch to fill. @default 10 */
    maxBatchDelayMs: timerMsOrZero.default(10),
    /** Entries queued and not yet committed: the memory bound. @default 100000 */
    queueCapacity: positiveInt.default(100_000),
    /**
     * The same bound in bytes: message, fields JSON and source of the queued entries plus a fixed
     * per-entry overhead, so that large entries cannot grow memory past it. @default 134217728 (128 MiB)
     */
    queueCapacityBytes: positiveInt.default(128 * 1024 * 1024),
    /** `reject`: store() fails at once with QueueFullError; `wait`: waits up to enqueueTimeoutMs. */
    whenFull: z.enum(["reject", "wait"]).default("reject"),
    /** With whenFull "wait": how long store() waits for room. @default 5000 */
    enqueueTimeoutMs: timerMs.default(5000),
    /** A store() not committed by then rejects with WriteTimeoutError. @default 30000 */
    writeTimeoutMs: timerMs.default(30_000),
    retry: retrySchema.default({
      initialDelayMs: 50,
      maxDelayMs: 5000,
      maxAttempts: Number.POSITIVE_INFINITY,
    }),
    /** WAL synchronous: `full` survives power loss, `normal` a process crash. @default "full" */
    synchronous: z.enum(["full", "normal"]).default("full"),
    /**
     * Pages of WAL before the writer checkpoints inside a commit (SQLite's automatic checkpoint).
     * With checkpointThread most pages are already copied by then; it bounds the WAL. @default 3000
     */
    walAutocheckpoint: nonNegativeInt.default(3000),
    /** Period of the passive checkpoint; 0 disables it. @default 30000 */
    checkpointIntervalMs: timerMsOrZero.default(30_000),
    /**
     * Local files with writerThread: after commits, a thread of its own copies the WAL into the
     * database file (PASSIVE checkpoint, at most one per 25 ms), so that the writer's checkpoint at
     * walAutocheckpoint pages finds little left to do (bench: +4–20% entries/s). @default true
     */
    checkpointThread: z.boolean().default(true),
    /** Bytes the WAL is truncated to after a checkpoint. @default 67108864 (64 MiB) */
    journalSizeLimit: z
      .number()
      .int()
      .min(-1)
      .default(64 * 1024 * 1024),
    /**
     * Local files: bytes kept in `<db>.reserve` and released on SQLITE_FULL so that a WAL
     * checkpoint can still run on a full disk (DURABILITY.md); 0 disables. Size it above the
     * largest WAL: walAutocheckpoint pages plus one batch. @default 16777216 (16 MiB)
     */
    diskReserveBytes: nonNegativeInt.default(16 * 1024 * 1024),
    /** How long a connection waits for a lock before SQLITE_BUSY. @default 5000 */
    busyTimeoutMs: timerMsOrZero.default(5000),
    /** Maintain the FTS5 index over `message`. @default true */
    fullText: z.boolean().default(true),
    /**
     * Top-level `fields` keys to index (e.g. trace_id, user): a filter on them becomes an index
     * search instead of a scan. Each costs a B-tree insert per entry. @default []
     */
    indexedFields: z
      .array(
        z
          .string()
          .min(1)
          .max(100)
          .refine(
            (key) => !key.includes('"'),
            "a key with a double quote cannot be addressed by a JSON path",
          ),
      )
      .max(20)
      .default([]),
    /** Largest `message` in bytes (UTF-8). @default 65536 */
    maxMessageBytes: positiveInt.default(64 * 1024),
    /** Largest `fields` in bytes once serialized. @default 65536 */
    maxFieldsBytes: positiveInt.default(64 * 1024),
    /** Move an unreadable database file aside and start a new one instead of failing. @default false */
    recover: z.boolean().default(false),
    /** close(): how long to keep retrying a failing database before rejecting what is left. @default 10000 */
    drainTimeoutMs: timerMs.default(10_000),
    /** `batched` (the product) or `direct` (one INSERT per entry, the baseline). */
    implementation: z.enum(["batched", "direct"]).default("batched"),
    /** Run the local-file writer in a worker thread so commits never stall the event loop. @default true */
    writerThread: z.boolean().default(true),
    /**
     * Local files: run reads in reader processes, so a slow query never blocks the event loop and
     * one past queryTimeoutMs can be stopped (the name predates the move from a thread). @default true
     */
    readerThread: z.boolean().default(true),
    /**
     * A read (search, getRecent, countByBucket, committedAfter) not answered by then rejects with
     * QueryTimeoutError; in a reader process the query is stopped. @default 30000
     */
    queryTimeoutMs: timerMs.default(30_000),
    /**
     * committedAfter counts the older matches it skipped among at most this many entries committed
     * before the ones it returns; past them its `skipped` is a lower bound. @default 100000
     */
    skippedCountWindow: positiveInt.default(DEFAULT_SKIPPED_COUNT_WINDOW),
  })
  .strict();

export type BatchConfigInput = z.input<typeof batchConfigSchema> & {
  /** pino logger for retries, failures and recoveries; silent by default. */
  logger?: Logger;
};
export type BatchConfig = z.output<typeof batchConfigSchema> & { logger?: Logger };

/** Applies defaults and validates; throws one ConfigError naming every bad field. */
export function resolveBatchConfig(input: BatchConfigInput = {}): BatchConfig {
  const { logger, ...rest } = input;
  const result = batchConfigSchema.safeParse(rest);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        field:
          issue.path.length > 0
            ? issue.path.join(".")
            : String((issue as { keys?: string[] }).keys ?? "(root)"),
        message: issue.message,
      })),
    );
  }
  const config: BatchConfig = logger ? { ...result.data, logger } : result.data;
  if (config.retry.maxDelayMs < config.retry.initialDelayMs) {
    throw new ConfigError([{ field: "retry.maxDelayMs", message: "must be >= retry.initialDelayMs" }]);
  }
  const minimum = largestEntryBytes(config);
  if (config.queueCapacityBytes < minimum) {
    throw new ConfigError([
      {
        field: "queueCapacityBytes",
        message: `must hold one largest entry: at least ${minimum} bytes (6 × maxMessageBytes + 2 × maxFieldsBytes + ${LARGEST_ENTRY_FIXED_BYTES})`,
      },
    ]);
  }
  const replicaIssues = replicaConfigIssues(config);
  if (replicaIssues.length > 0) throw new ConfigError(replicaIssues);
  // a file: url that names no file (or carries a ?query, a #fragment) is a configuration error
  // now, not a failed open later: a server reports it with the other bad options
  if (!isRemoteUrl(config.url)) filePathOf(config.url);
  return config;
}

/** Embedded replica: a local `file:` url that syncs from a server url. */
function replicaConfigIssues(config: BatchConfig): { field: string; message: string }[] {
  const issues: { field: string; message: string }[] = [];
  if (config.syncUrl !== undefined) {
    if (isRemoteUrl(config.url)) {
      issues.push({
        field: "syncUrl",
        message: "needs a file: url (the local replica); the url here is remote",
      });
    }
    if (!isRemoteUrl(config.syncUrl)) {
      issues.push({
        field: "syncUrl",
        message: "must be the server's libsql://, http(s):// or ws(s):// url",
      });
    }
  } else if (config.syncIntervalSec !== undefined) {
    issues.push({ field: "syncIntervalSec", message: "only applies with syncUrl (embedded replica)" });
  }
  return issues;
}

export function isRemoteUrl(url: string): boolean {
  return !url.startsWith("file:");
}
