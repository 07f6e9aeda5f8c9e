import { ValidationError } from "./errors.js";
import { levelFromNumber, levelToNumber, parseLevel } from "./levels.js";
import type { LogEntry, LogFields, NewLogEntry } from "./types.js";

/** A validated entry as written: [timestampMs, level (1–6), source, message, fields JSON or null]. */
export type EncodedRow = [number, number, string, string, string | null];

/** A row as JSON text: what is queued (see row-spans.ts) and what batches are joined from. */
export function rowJson(row: EncodedRow): string {
  return JSON.stringify(row);
}

export function parseRow(json: string): EncodedRow {
  return JSON.parse(json) as EncodedRow;
}

export interface EntryLimits {
  maxMessageBytes: number;
  maxFieldsBytes: number;
}

const INFO = levelToNumber("info");
const MAX_SOURCE_CHARS = 256;
// ±100 years around the epoch: anything outside is certainly a unit mistake (seconds vs ns).
const MAX_ABS_TIMESTAMP_MS = 100 * 365.25 * 24 * 3600 * 1000 + Date.UTC(2000, 0, 1);
const STORABLE_TIMES = `${new Date(-MAX_ABS_TIMESTAMP_MS).toISOString().slice(0, 10)} to ${new Date(MAX_ABS_TIMESTAMP_MS).toISOString().slice(0, 10)}`;

/**
 * Validates an entry and encodes it for the database. Throws ValidationError naming the field.
 * Runs on every store(): plain checks, no schema library, no copies beyond the row itself.
 */
export function encodeEntry(entry: NewLogEntry, limits: EntryLimits, now: number): EncodedRow {
  if (entry === null || typeof entry !== "object") throw new ValidationError("entry", "must be an object");
  if (typeof entry.message !== "string") throw new ValidationError("message", "must be a string");
  const message = storableText(entry.message);
  if (message.length * 3 > limits.maxMessageBytes && Buffer.byteLength(message) > limits.maxMessageBytes) {
    throw new ValidationError("message", `longer than ${limits.maxMessageBytes} bytes`);
  }
  const fields = encodeFields(entry.fields, limits.maxFieldsBytes);
  if (message.length === 0 && fields === null) {
    throw new ValidationError("message", "may be empty only when fields has at least one key");
  }
  return [
    encodeTimestamp(entry.timestamp, now),
    encodeLevel(entry.level),
    encodeSource(entry.source),
    message,
    fields,
  ];
}

function encodeTimestamp(value: NewLogEntry["timestamp"], now: number): number {
  if (value === undefined || value === null) return now;
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "number") ms = Math.trunc(value);
  else if (typeof value === "string") ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  else throw new ValidationError("timestamp", "must be an ISO-8601 string, epoch milliseconds or a Date");
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_ABS_TIMESTAMP_MS) {
    throw new ValidationError(
      "timestamp",
      `not a valid time: ${describeTime(value)} (storable: ${STORABLE_TIMES})`,
    );
  }
  return ms;
}

/** A refused time as its sender would recognize it: a Date as ISO-8601 (not the server's local form). */
function describeTime(value: Date | number | string): string {
  if (!(value instanceof Date)) return truncate(String(value));
  return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
}

function encodeLevel(value: NewLogEntry["level"]): number {
  if (value === undefined || value === null) return INFO;
  if (typeof value !== "string") throw new ValidationError("level", "must be a string");
  const level = parseLevel(value);
  if (level === undefined) {
    throw new ValidationError(
      "level",
      `unknown level "${truncate(value)}" (trace, debug, info, warn, error, fatal)`,
    );
  }
  return levelToNumber(level);
}

function encodeSource(value: unknown): string {
  if (value === undefined || value === null) return "unknown";
  if (typeof value !== "string") throw new ValidationError("source", "must be a string");
  if (value.length === 0 || value.length > MAX_SOURCE_CHARS) {
    throw new ValidationError("source", `must be 1–${MAX_SOURCE_CHARS} characters`);
  }
  return storableText(value);
}

/**
 * Text as SQLite and the driver can give it back, with U+FFFD where a character could not be kept:
 * - a lone UTF-16 surrogate, as the driver's UTF-8 conversion would do for a bound parameter.
 *   Needed because batches reach SQLite as one JSON text: JSON.stringify writes a lone surrogate
 *   as a `\ud800` escape, which SQLite's JSON decoder turns into invalid UTF-8 that the driver
 *   cannot read back;
 * - U+0000: SQLite keeps it inside a TEXT value, but the driver reads text only up to it, so
 *   "a\u0000b" was acknowledged and then read back (and indexed) as "a". (`fields` are JSON, where
 *   a NUL is the escape `\u0000` and comes back as sent.)
 */
function storableText(s: string): string {
  const wellFormed = s.isWellFormed() ? s : s.toWellFormed();
  return wellFormed.includes("\u0000") ? wellFormed.replaceAll("\u0000", "\uFFFD") : wellFormed;
}

function encodeFields(value: unknown, maxBytes: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value) || value instanceof Map || value instanceof Set)
    throw new ValidationError("fields", "must be a JSON object");
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new ValidationError("fields", "not serializable to JSON", { cause });
  }
  // a toJSON() may turn it into anything (a Date into a string): what is stored must be an object
  if (json === undefined || json[0] !== "{")
    throw new ValidationError("fields", "must serialize to a JSON object (its toJSON() gave something else)");
  if (json === "{}") return null;
  if (json.length > maxBytes / 3 && Buffer.byteLength(json) > maxBytes) {
    throw new ValidationError("fields", `larger than ${maxBytes} bytes serialized`);
  }
  return json;
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

export interface StoredRow {
  id: number;
  timestamp: number;
  level: number;
  source: string;
  message: string;
  fields: string | null;
}

export function decodeRow(row: StoredRow): LogEntry {
  return {
    id: row.id,
    timestamp: new Date(row.timestamp),
    level: levelFromNumber(row.level),
    source: row.source,
    message: row.message,
    fields: row.fields === null ? null : (JSON.parse(row.fields) as LogFields),
  };
}

export function decodeEncoded(id: number, row: EncodedRow): LogEntry {
  return decodeRow({ id, timestamp: row[0], level: row[1], source: row[2], message: row[3], fields: row[4] });
}

/**
 * Approximate bytes a queued entry holds: its row's UTF-8 bytes (see row-spans.ts) and a fixed
 * overhead for the pending record, its boxed numbers and the queue slot (bench memory suite:
 * memory per queued entry).
 */
export const ENTRY_OVERHEAD_BYTES = 160;

export function entryBytes(rowLength: number): number {
  return ENTRY_OVERHEAD_BYTES + rowLength;
}
