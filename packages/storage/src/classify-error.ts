/**
 * What to do about a failed write:
 * - `content`: the rows themselves are bad (constraint, too big): split the batch, reject only those rows;
 * - `transient`: the database is busy, full, briefly unreachable: keep the batch and retry with backoff;
 * - `fatal`: the file is corrupt or not a database: retrying cannot help.
 */
export type FailureKind = "content" | "transient" | "fatal";

/** The parts of a driver error that survive a worker boundary. */
export interface DriverErrorInfo {
  message: string;
  code?: string | undefined;
  rawCode?: number | undefined;
}

const CONTENT_PRIMARY = new Set([19 /* CONSTRAINT */, 18 /* TOOBIG */, 20 /* MISMATCH */, 25 /* RANGE */]);
const TRANSIENT_PRIMARY = new Set([
  5 /* BUSY */, 6 /* LOCKED */, 10 /* IOERR */, 13 /* FULL */, 14 /* CANTOPEN */, 15 /* PROTOCOL */,
  7 /* NOMEM */,
]);
const FATAL_PRIMARY = new Set([11 /* CORRUPT */, 26 /* NOTADB */, 8 /* READONLY */]);
// READONLY_RECOVERY / _CANTLOCK / _CANTINIT: another connection is mid-recovery of the WAL or
// shared memory; they clear by themselves, unlike a read-only file.
const TRANSIENT_EXTENDED = new Set([264, 520, 1288]);

const TRANSIENT_CODES =
  /^(SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL|NOMEM)|CLIENT_CLOSED|HRANA_|SERVER_ERROR|STREAM_EXPIRED|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR|FETCH_ERROR|TRANSACTION_CLOSED|HTTP_ERROR)/;
/** The writer's own code: its database file was deleted or replaced while open (see SqliteBatchWriter). */
export const DATABASE_FILE_GONE = "BATCHLOG_DATABASE_FILE_GONE";

// SQL_PARSE_ERROR: a libSQL server refuses the statement itself; retrying cannot change that.
const FATAL_CODES = /^(SQLITE_(CORRUPT|NOTADB|READONLY)|SQL_PARSE_ERROR|BATCHLOG_DATABASE_FILE_GONE)/;
const CONTENT_CODES = /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/;
// Remote servers report SQLite errors as SQLITE_UNKNOWN with the reason only in the message.
const CONTENT_MESSAGE = /constraint failed|string or blob too big|datatype mismatch|malformed JSON/i;
const TRANSIENT_MESSAGE =
  /database is locked|disk is full|disk I\/O|fetch failed|socket hang up|connection|network|timed? ?out|503|502|504/i;
const FATAL_MESSAGE = /file is not a database|malformed/i;

export function classifyFailure(error: DriverErrorInfo): FailureKind {
  const { code = "", rawCode } = error;
  if (rawCode !== undefined) {
    const primary = rawCode & 0xff;
    if (TRANSIENT_EXTENDED.has(rawCode)) return "transient";
    if (CONTENT_PRIMARY.has(primary)) return "content";
    if (TRANSIENT_PRIMARY.has(primary)) return "transient";
    if (FATAL_PRIMARY.has(primary)) return "fatal";
  }
  if (CONTENT_CODES.test(code)) return "content";
  if (FATAL_CODES.test(code)) return "fatal";
  if (TRANSIENT_CODES.test(code)) return "transient";
  if (CONTENT_MESSAGE.test(error.message)) return "content";
  if (FATAL_MESSAGE.test(error.message) && !/JSON/.test(error.message)) return "fatal";
  if (TRANSIENT_MESSAGE.test(error.message)) return "transient";
  // Unknown: treat as transient so nothing is dropped; maxAttempts bounds it.
  return "transient";
}

/** SQLITE_FULL (any extended code): the disk or the file-size limit is full. */
export function isDiskFull(error: DriverErrorInfo): boolean {
  if (error.rawCode !== undefined) return (error.rawCode & 0xff) === 13;
  return /^SQLITE_FULL/.test(error.code ?? "");
}

export function toDriverErrorInfo(error: unknown): DriverErrorInfo {
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; rawCode?: unknown; cause?: unknown };
    const info: DriverErrorInfo = { message: e.message };
    if (typeof e.code === "string") info.code = e.code;
    if (typeof e.rawCode === "number") info.rawCode = e.rawCode;
    // fetch/undici put the network reason on `cause`
    if (info.code === undefined && e.cause instanceof Error) {
      const causeCode = (e.cause as Error & { code?: unknown }).code;
      if (typeof causeCode === "string") info.code = causeCode;
      info.message = `${e.message}: ${e.cause.message}`;
    }
    return info;
  }
  return { message: String(error) };
}
