// Every option of the demo server, defined once: its environment variable, command-line flag,
// JSON config-file key, default, description and zod schema. config.ts, cli.ts and the README
// table are all derived from this list.
import { parseByteSize, parseDuration } from "@batchlog/service";
import { parseLevel, redactUrl } from "@batchlog/storage";
import { z } from "zod";

/** Parses a textual value (env var, flag) or passes a JSON value (config file) through. */
const fromText =
  <T>(parse: (text: string) => T) =>
  (raw: unknown) =>
    typeof raw === "string" ? parse(raw) : raw;

const integerText = (text: string): unknown => (/^\s*-?\d+\s*$/.test(text) ? Number(text) : text);
const booleanText = (text: string): unknown => {
  const t = text.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(t)) return true;
  if (["false", "0", "no", "off"].includes(t)) return false;
  return text;
};

const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(fromText(integerText), z.number().int().min(min).max(max));

/**
 * The longest delay a Node.js timer takes (2^31 - 1 ms, about 24.8 days): asked for more, it fires
 * after 1 ms (TimeoutOverflowWarning), so a long interval would run its job back to back and a long
 * timeout would expire at once. SQLite's busy timeout is a 32-bit int too. Every millisecond option
 * is held to it, timer or not: one rule is easier to state than a list that changes with the code.
 */
export const MAX_TIMER_MS = 2_147_483_647;
const TIMER_LIMIT = "about 24.8 days, the longest a timer waits";
const timerMs = (min: number) => int(min, MAX_TIMER_MS);
const timerMsExpected = (min: number) => `an integer from ${min} to ${MAX_TIMER_MS} (${TIMER_LIMIT})`;
// A JSON file's 1 and 0 as well: the error line offers them ("also yes/no, on/off, 1/0")
const bool = () =>
  z.preprocess((raw) => (raw === 1 ? true : raw === 0 ? false : fromText(booleanText)(raw)), z.boolean());
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(
    fromText((t) => t.trim().toLowerCase()),
    z.enum(values),
  );
const text = (max = 4096) => z.string().trim().min(1).max(max);
/** `a,b,c` (or a JSON array) → the non-empty trimmed items. */
const keyList = () =>
  z.preprocess(
    fromText((t) =>
      t
        .split(",")
        .map((k) => k.trim())
        .filter((k) => k !== ""),
    ),
    z.array(text(100).regex(/^[\w.:@/-]+$/)).max(20),
  );
const libsqlUrl = () => text().regex(/^(file|libsql|https?|wss?):/);

/**
 * A configured duration in milliseconds: it must name its unit. A bare number was taken as
 * milliseconds, so BATCHLOG_RETENTION_MAX_AGE=30 meant as 30 days deleted every entry older than
 * 30 ms a second after start. Throws a message for the error line.
 */
function configDuration(value: unknown): number {
  const bare = typeof value === "number" || (typeof value === "string" && /^\s*[\d.]+\s*$/.test(value));
  if (bare) {
    const n = String(value).trim();
    // the likelier reading first: 60000 was meant as ms, 30 as days
    const units = Number(n) >= 1000 ? ["ms", "s", "m", "h", "d"] : ["d", "h", "m", "s", "ms"];
    const spelled = units.map((unit) => `${n}${unit}`);
    throw new Error(`${n} has no unit: write ${spelled.slice(0, -1).join(", ")} or ${spelled.at(-1)}`);
  }
  if (typeof value !== "string") throw new Error(NOT_A_DURATION);
  try {
    // parseDuration refuses 0 and anything else that is not a duration
    return parseDuration(value);
  } catch {
    throw new Error(NOT_A_DURATION);
  }
}
const NOT_A_DURATION = "not a duration";

/** A duration such as `7d`, `12h`, `90s`, `500ms` → milliseconds, at most `max`. */
const duration = (max: number = Number.MAX_SAFE_INTEGER) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    let ms: number;
    try {
      ms = configDuration(value);
    } catch (error) {
      const message = (error as Error).message;
      ctx.addIssue({ code: "custom", message, params: { hint: message !== NOT_A_DURATION } });
      return z.NEVER;
    }
    if (ms > max) {
      ctx.addIssue({ code: "custom", message: `longer than ${max} ms` });
      return z.NEVER;
    }
    return ms;
  });

/** `debug=1d,error=90d` (or a JSON object of levels to durations) → milliseconds by level. */
const agesByLevel = () =>
  z
    .preprocess(
      fromText((t) =>
        Object.fromEntries(
          t
            .split(",")
            .map((pair) => pair.trim())
            .filter((pair) => pair !== "")
            .map((pair) => {
              const i = pair.indexOf("=");
              return i < 0 ? [pair, ""] : [pair.slice(0, i).trim(), pair.slice(i + 1).trim()];
            }),
        ),
      ),
      z.record(z.string(), z.union([z.number(), z.string()])),
    )
    .transform((pairs, ctx) => {
      const ages: Record<string, number> = {};
      for (const [name, age] of Object.entries(pairs)) {
        const level = parseLevel(name);
        let ms: number;
        try {
          ms = configDuration(age);
        } catch (error) {
          const message = (error as Error).message;
          const specific = level !== undefined && message !== NOT_A_DURATION;
          ctx.addIssue({
            code: "custom",
            message: specific ? `${name}=${age}: ${message}` : `not a level=duration pair: ${name}`,
            params: { hint: specific },
          });
          return z.NEVER;
        }
        if (level === undefined) {
          ctx.addIssue({ code: "custom", message: `not a level=duration pair: ${name}` });
          return z.NEVER;
        }
        if (Object.hasOwn(ages, level)) {
          // debug=1d,debug=2d: which one was meant?
          ctx.addIssue({ code: "custom", message: `${level} is given twice`, params: { hint: true } });
          return z.NEVER;
        }
        ages[level] = ms;
      }
      if (Object.keys(ages).length === 0) {
        ctx.addIssue({ code: "custom", message: "no level=duration pair" });
        return z.NEVER;
      }
      return ages;
    });

/** A size such as `10mb`, `512kb`, `1gb` or a byte count → bytes (binary multiples: 1kb = 1024). */
const sizeText = (text: string): unknown => {
  // Bare integers first: parseByteSize refuses 0 and -1, which some sizes use for "off".
  const count = integerText(text);
  if (typeof count === "number") return count;
  try {
    return parseByteSize(text);
  } catch {
    return text;
  }
};
const byteSize = (min: number) =>
  z.preprocess(fromText(sizeText), z.number().int().min(min).max(Number.MAX_SAFE_INTEGER));

const SIZE = "a size such as 512kb, 10mb, 1gb or a whole number of bytes";
const BOOLEAN = "true or false (also yes/no, on/off, 1/0)";

export interface OptionSpec {
  /** camelCase key: the JSON config-file key and the Config property it feeds. */
  key: string;
  env: `BATCHLOG_${string}`;
  /** Command-line flag with its value placeholder, e.g. `--port <port>`. */
  flag: string;
  /** Default as written in the environment; undefined = unset. */
  default: string | undefined;
  description: string;
  /** What a valid value looks like, for the error line. */
  expected: string;
  schema: z.ZodType;
  /** Secret values are never printed back (help shows "set"/"none"; errors omit the value). */
  secret?: boolean;
  /** How an error line shows a value that may hold a secret in part (a URL's token or password). */
  redact?: (raw: string) => string;
}

const spec = (s: OptionSpec) => s;

export const OPTIONS = [
  spec({
    key: "config",
    env: "BATCHLOG_CONFIG",
    flag: "--config <file>",
    default: undefined,
    description: "JSON file with any of these options by camelCase key; environment and flags win",
    expected: "a path to a JSON file",
    schema: text(),
  }),
  spec({
    key: "host",
    env: "BATCHLOG_HOST",
    flag: "--host <address>",
    default: "127.0.0.1",
    description: "listen address (0.0.0.0 exposes the server to the network)",
    expected: "a host name or IP address",
    schema: text(255),
  }),
  spec({
    key: "port",
    env: "BATCHLOG_PORT",
    flag: "--port <port>",
    default: "8080",
    description: "listen port (0 picks a free one)",
    expected: "an integer from 0 to 65535",
    schema: int(0, 65535),
  }),
  spec({
    key: "token",
    env: "BATCHLOG_TOKEN",
    flag: "--token <token>",
    default: undefined,
    description:
      "bearer token required on every route but /healthz and / (the UI page, which asks for it; auth off when unset)",
    expected: "a non-empty string of at most 4096 characters",
    schema: text(),
    secret: true,
  }),
  spec({
    key: "bodyLimit",
    env: "BATCHLOG_BODY_LIMIT",
    flag: "--body-limit <size>",
    default: "10mb",
    description: "largest request body, after decompression (→ 413)",
    expected: SIZE,
    schema: byteSize(1),
  }),
  spec({
    key: "maxFuture",
    env: "BATCHLOG_MAX_FUTURE",
    flag: "--max-future <duration>",
    default: "10m",
    description:
      "refuse at ingest entries stamped more than this ahead of the server's clock (a wrong clock or time zone); off takes them as sent",
    expected: "a duration such as 10m, 1h, or off",
    // OFF or Off as well: the other on/off switches take any case
    schema: z.union([
      z.preprocess(
        (v) => (typeof v === "string" && v.trim().toLowerCase() === "off" ? "off" : v),
        z.literal("off"),
      ),
      duration(),
    ]),
  }),
  spec({
    key: "requestTimeoutMs",
    env: "BATCHLOG_REQUEST_TIMEOUT_MS",
    flag: "--request-timeout-ms <ms>",
    default: "30000",
    description:
      "longest time to receive a whole request, headers and body (→ 408); answers (live tail, ?wait=true) are not limited",
    expected: timerMsExpected(1),
    schema: timerMs(1),
  }),
  spec({
    key: "headersTimeoutMs",
    env: "BATCHLOG_HEADERS_TIMEOUT_MS",
    flag: "--headers-timeout-ms <ms>",
    default: "10000",
    description:
      "longest time to receive a request's headers, from its first byte or the connection's start (→ 408; at most the request timeout)",
    expected: timerMsExpected(1),
    schema: timerMs(1),
  }),
  spec({
    key: "maxConnections",
    env: "BATCHLOG_MAX_CONNECTIONS",
    flag: "--max-connections <n>",
    default: "4096",
    description:
      "HTTP connections open at once; one more is closed at once, unanswered (bounds sockets and their buffers; more than the live-tail streams)",
    expected: "an integer from 2 to 1000000",
    schema: int(2, 1_000_000),
  }),
  spec({
    key: "logLevel",
    env: "BATCHLOG_LOG_LEVEL",
    flag: "--log-level <level>",
    default: "info",
    description: "the server's own pino log level",
    expected: "one of trace, debug, info, warn, error, fatal, silent",
    schema: oneOf(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
  }),
  spec({
    key: "statsIntervalMs",
    env: "BATCHLOG_STATS_INTERVAL_MS",
    flag: "--stats-interval-ms <ms>",
    default: "60000",
    description: "period of the batch-statistics log line (0 disables it; idle intervals log nothing)",
    expected: timerMsExpected(0),
    schema: timerMs(0),
  }),
  spec({
    key: "generate",
    env: "BATCHLOG_GENERATE",
    flag: "--generate <entries/s>",
    default: "0",
    description: "feed sample traffic at this many entries per second (0 = off)",
    expected: "an integer from 0 to 1000000",
    schema: int(0, 1_000_000),
  }),
  spec({
    key: "dbUrl",
    env: "BATCHLOG_DB_URL",
    flag: "--db-url <url>",
    default: "file:./data/batchlog.db",
    description: "libSQL URL: file: (embedded) or libsql://, http(s)://, ws(s):// (sqld, Turso)",
    expected: "a URL starting with file:, libsql://, http(s):// or ws(s)://",
    schema: libsqlUrl(),
    redact: redactUrl,
  }),
  spec({
    key: "dbAuthToken",
    env: "BATCHLOG_DB_AUTH_TOKEN",
    flag: "--db-auth-token <token>",
    default: undefined,
    description: "auth token for a libSQL server or Turso",
    expected: "a non-empty string",
    schema: text(16_384),
    secret: true,
  }),
  spec({
    key: "dbSyncUrl",
    env: "BATCHLOG_DB_SYNC_URL",
    flag: "--db-sync-url <url>",
    default: undefined,
    description: "embedded replica: the libSQL server a file: database syncs from",
    expected: "a URL starting with libsql://, http(s):// or ws(s)://",
    schema: libsqlUrl(),
    redact: redactUrl,
  }),
  spec({
    key: "dbSyncIntervalSec",
    env: "BATCHLOG_DB_SYNC_INTERVAL_SEC",
    flag: "--db-sync-interval-sec <s>",
    default: undefined,
    description: "embedded replica: seconds between background syncs",
    expected: "an integer >= 1",
    schema: int(1),
  }),
  spec({
    key: "dbRecover",
    env: "BATCHLOG_DB_RECOVER",
    flag: "--db-recover [bool]",
    default: "false",
    description: "move an unreadable database file aside and start a new one instead of failing",
    expected: BOOLEAN,
    schema: bool(),
  }),
  spec({
    key: "storageImplementation",
    env: "BATCHLOG_STORAGE_IMPLEMENTATION",
    flag: "--storage-implementation <kind>",
    default: "batched",
    description: "batched (the product) or direct (one INSERT per entry, the baseline)",
    expected: "batched or direct",
    schema: oneOf(["batched", "direct"]),
  }),
  spec({
    key: "writerThread",
    env: "BATCHLOG_WRITER_THREAD",
    flag: "--writer-thread [bool]",
    default: "true",
    description: "write a file: database from a worker thread so commits never stall HTTP",
    expected: BOOLEAN,
    schema: bool(),
  }),
  spec({
    key: "readerThread",
    env: "BATCHLOG_READER_THREAD",
    flag: "--reader-thread [bool]",
    default: "true",
    description:
      "read a file: database in reader processes (the name predates them) so slow searches never stall HTTP",
    expected: BOOLEAN,
    schema: bool(),
  }),
  spec({
    key: "queryTimeoutMs",
    env: "BATCHLOG_QUERY_TIMEOUT_MS",
    flag: "--query-timeout-ms <ms>",
    default: "30000",
    description:
      "a search, stats or live-tail catch-up read not answered by then fails (504); on a file: database the query is stopped",
    expected: timerMsExpected(1),
    schema: timerMs(1),
  }),
  spec({
    key: "maxBatchSize",
    env: "BATCHLOG_MAX_BATCH_SIZE",
    flag: "--max-batch-size <n>",
    default: "1000",
    description: "entries per transaction",
    expected: "an integer from 1 to 32766",
    schema: int(1, 32766),
  }),
  spec({
    key: "maxBatchDelayMs",
    env: "BATCHLOG_MAX_BATCH_DELAY_MS",
    flag: "--max-batch-delay-ms <ms>",
    default: "10",
    description: "longest an entry waits for its batch to fill",
    expected: timerMsExpected(0),
    schema: timerMs(0),
  }),
  spec({
    key: "queueCapacity",
    env: "BATCHLOG_QUEUE_CAPACITY",
    flag: "--queue-capacity <n>",
    default: "100000",
    description: "entries queued and not yet committed (the memory bound; full → 429)",
    expected: "an integer >= 1",
    schema: int(1),
  }),
  spec({
    key: "queueCapacityBytes",
    env: "BATCHLOG_QUEUE_CAPACITY_BYTES",
    flag: "--queue-capacity-bytes <size>",
    default: "128mb",
    description:
      "the same bound in bytes (messages, fields, per-entry overhead), so large entries cannot exhaust memory",
    expected: SIZE,
    schema: byteSize(1),
  }),
  spec({
    key: "whenFull",
    env: "BATCHLOG_WHEN_FULL",
    flag: "--when-full <mode>",
    default: "reject",
    description: "reject: 429 at once when the queue is full; wait: wait up to the enqueue timeout",
    expected: "reject or wait",
    schema: oneOf(["reject", "wait"]),
  }),
  spec({
    key: "enqueueTimeoutMs",
    env: "BATCHLOG_ENQUEUE_TIMEOUT_MS",
    flag: "--enqueue-timeout-ms <ms>",
    default: "5000",
    description: "with when-full=wait: how long a request waits for room in the queue",
    expected: timerMsExpected(1),
    schema: timerMs(1),
  }),
  spec({
    key: "writeTimeoutMs",
    env: "BATCHLOG_WRITE_TIMEOUT_MS",
    flag: "--write-timeout-ms <ms>",
    default: "30000",
    description: "an entry not committed by then fails (503); it is never written twice",
    expected: timerMsExpected(1),
    schema: timerMs(1),
  }),
  spec({
    key: "retryInitialDelayMs",
    env: "BATCHLOG_RETRY_INITIAL_DELAY_MS",
    flag: "--retry-initial-delay-ms <ms>",
    default: "50",
    description: "first backoff delay after a transient write failure",
    expected: timerMsExpected(1),
    schema: timerMs(1),
  }),
  spec({
    key: "retryMaxDelayMs",
    env: "BATCHLOG_RETRY_MAX_DELAY_MS",
    flag: "--retry-max-delay-ms <ms>",
    default: "5000",
    description: "longest backoff delay (>= the initial delay)",
    expected: timerMsExpected(1),
    schema: timerMs(1),
  }),
  spec({
    key: "synchronous",
    env: "BATCHLOG_SYNCHRONOUS",
    flag: "--synchronous <mode>",
    default: "full",
    description: "WAL synchronous: full survives power loss, normal a process crash",
    expected: "full or normal",
    schema: oneOf(["full", "normal"]),
  }),
  spec({
    key: "fullText",
    env: "BATCHLOG_FULL_TEXT",
    flag: "--full-text [bool]",
    default: "true",
    description: "maintain the FTS5 index over messages (for ?q=)",
    expected: BOOLEAN,
    schema: bool(),
  }),
  spec({
    key: "indexedFields",
    env: "BATCHLOG_INDEXED_FIELDS",
    flag: "--indexed-fields <keys>",
    default: undefined,
    description:
      "fields keys to index, comma-separated (e.g. trace_id,user): filters on them become index searches",
    expected: "a comma-separated list of up to 20 keys (letters, digits, _ . - : @ /)",
    schema: keyList(),
  }),
  spec({
    key: "walAutocheckpoint",
    env: "BATCHLOG_WAL_AUTOCHECKPOINT",
    flag: "--wal-autocheckpoint <pages>",
    default: "3000",
    description: "WAL pages before the writer checkpoints inside a commit (bounds the WAL)",
    expected: "an integer >= 0",
    schema: int(0),
  }),
  spec({
    key: "checkpointIntervalMs",
    env: "BATCHLOG_CHECKPOINT_INTERVAL_MS",
    flag: "--checkpoint-interval-ms <ms>",
    default: "30000",
    description: "period of the passive WAL checkpoint (0 disables it)",
    expected: timerMsExpected(0),
    schema: timerMs(0),
  }),
  spec({
    key: "checkpointThread",
    env: "BATCHLOG_CHECKPOINT_THREAD",
    flag: "--checkpoint-thread [bool]",
    default: "true",
    description:
      "with the writer thread: copy the WAL into the database from a thread of its own after commits",
    expected: BOOLEAN,
    schema: bool(),
  }),
  spec({
    key: "journalSizeLimit",
    env: "BATCHLOG_JOURNAL_SIZE_LIMIT",
    flag: "--journal-size-limit <size>",
    default: "64mb",
    description: "bytes the WAL is truncated to after a checkpoint (-1 = unbounded)",
    expected: `${SIZE} (-1 = unbounded)`,
    schema: byteSize(-1),
  }),
  spec({
    key: "busyTimeoutMs",
    env: "BATCHLOG_BUSY_TIMEOUT_MS",
    flag: "--busy-timeout-ms <ms>",
    default: "5000",
    description: "how long a connection waits for a lock before SQLITE_BUSY",
    expected: timerMsExpected(0),
    schema: timerMs(0),
  }),
  spec({
    key: "diskReserveBytes",
    env: "BATCHLOG_DISK_RESERVE_BYTES",
    flag: "--disk-reserve-bytes <size>",
    default: "16mb",
    description: "space kept in <db>.reserve, released to checkpoint out of a full disk (0 disables it)",
    expected: `${SIZE} (0 disables it)`,
    schema: byteSize(0),
  }),
  spec({
    key: "drainTimeoutMs",
    env: "BATCHLOG_DRAIN_TIMEOUT_MS",
    flag: "--drain-timeout-ms <ms>",
    default: "10000",
    description:
      "at shutdown: how long to keep retrying a failing database before giving up (requests in flight get 1 s to reach the queue first)",
    expected: timerMsExpected(1),
    schema: timerMs(1),
  }),
  spec({
    key: "maxMessageBytes",
    env: "BATCHLOG_MAX_MESSAGE_BYTES",
    flag: "--max-message-bytes <size>",
    default: "64kb",
    description: "largest message of one entry (UTF-8 bytes)",
    expected: SIZE,
    schema: byteSize(1),
  }),
  spec({
    key: "maxFieldsBytes",
    env: "BATCHLOG_MAX_FIELDS_BYTES",
    flag: "--max-fields-bytes <size>",
    default: "64kb",
    description: "largest fields object of one entry, serialized",
    expected: SIZE,
    schema: byteSize(1),
  }),
  spec({
    key: "retentionMaxAge",
    env: "BATCHLOG_RETENTION_MAX_AGE",
    flag: "--retention-max-age <duration>",
    default: undefined,
    description:
      "delete entries older than this (7d, 12h…), and refuse at ingest entries already that old; unset keeps everything",
    expected: "a duration such as 7d, 12h, 30m",
    schema: duration(),
  }),
  spec({
    key: "retentionMaxAgeByLevel",
    env: "BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL",
    flag: "--retention-max-age-by-level <level=duration,…>",
    default: undefined,
    description:
      "an age per level in place of the max age for the levels named (debug=1d,error=90d); refused at ingest likewise",
    expected:
      "level=duration pairs, comma-separated, such as debug=1d,error=90d (levels: trace, debug, info, warn, error, fatal)",
    schema: agesByLevel(),
  }),
  spec({
    key: "retentionMaxEntries",
    env: "BATCHLOG_RETENTION_MAX_ENTRIES",
    flag: "--retention-max-entries <n>",
    default: undefined,
    description:
      "keep at most this many newest entries (by timestamp, as search orders them: a late arrival with an old timestamp is among the oldest); unset = no limit",
    expected: "an integer >= 1",
    schema: int(1),
  }),
  spec({
    key: "retentionMaxBytes",
    env: "BATCHLOG_RETENTION_MAX_BYTES",
    flag: "--retention-max-bytes <size>",
    default: undefined,
    description:
      "keep the database under this size (its pages in use; the WAL and the disk reserve are apart), deleting the oldest entries; approximate (10gb…); unset = no limit",
    // A bare number is bytes: "10" meant as 10 GB would delete every entry at each run.
    expected: "a size of at least 1mb, such as 500mb or 10gb",
    schema: byteSize(1024 * 1024),
  }),
  spec({
    key: "retentionInterval",
    env: "BATCHLOG_RETENTION_INTERVAL",
    flag: "--retention-interval <duration>",
    default: "5m",
    description: "time between retention runs (when a retention limit is set)",
    expected: `a duration such as 30s, 5m, 1h, of at most ${MAX_TIMER_MS} ms (${TIMER_LIMIT})`,
    schema: duration(MAX_TIMER_MS),
  }),
  spec({
    key: "tailMaxBuffered",
    env: "BATCHLOG_TAIL_MAX_BUFFERED",
    flag: "--tail-max-buffered <n>",
    default: "1000",
    description: "entries held for a slow live-tail client before the oldest are dropped",
    expected: "an integer from 1 to 1000000",
    schema: int(1, 1_000_000),
  }),
  spec({
    key: "tailMaxClients",
    env: "BATCHLOG_TAIL_MAX_CLIENTS",
    flag: "--tail-max-clients <n>",
    default: "100",
    description:
      "live-tail streams open at once; one more gets 503 (bounds tail memory with the buffer size)",
    expected: "an integer from 1 to 100000",
    schema: int(1, 100_000),
  }),
  spec({
    key: "tailHeartbeatMs",
    env: "BATCHLOG_TAIL_HEARTBEAT_MS",
    flag: "--tail-heartbeat-ms <ms>",
    default: "15000",
    description: "period of the SSE heartbeat comment on live-tail streams",
    expected: timerMsExpected(100),
    schema: timerMs(100),
  }),
  spec({
    key: "tailStallTimeoutMs",
    env: "BATCHLOG_TAIL_STALL_TIMEOUT_MS",
    flag: "--tail-stall-timeout-ms <ms>",
    default: "60000",
    description:
      "a live-tail stream whose client has read nothing that long while entries wait is closed (an EventSource reconnects and resumes from Last-Event-ID); frees its slot",
    expected: timerMsExpected(100),
    schema: timerMs(100),
  }),
  spec({
    key: "readyFailureGraceMs",
    env: "BATCHLOG_READY_FAILURE_GRACE_MS",
    flag: "--ready-failure-grace-ms <ms>",
    default: "10000",
    description:
      "how long batch writes may keep failing (retried) before /readyz answers 503 (0: at the first failure)",
    expected: timerMsExpected(0),
    schema: timerMs(0),
  }),
  spec({
    key: "shutdownTimeoutMs",
    env: "BATCHLOG_SHUTDOWN_TIMEOUT_MS",
    flag: "--shutdown-timeout-ms <ms>",
    default: "30000",
    description:
      "at SIGTERM/SIGINT/SIGHUP: longest wait for in-flight requests and the drain before exiting 1",
    expected: timerMsExpected(1),
    schema: timerMs(1),
  }),
] as const satisfies readonly OptionSpec[];

export type OptionKey = (typeof OPTIONS)[number]["key"];
