import { type LogLevel, parseLevel } from "@batchlog/storage";
import { z } from "zod";
import { clip } from "./clip.js";
import { implausibleEpochMs } from "./epoch-ms.js";
import { parseIsoMs } from "./iso-time.js";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.js";

export interface EntryLimits {
  /** Largest `message` in UTF-8 bytes. @default 65536 */
  maxMessageBytes: number;
  /** Largest `fields` object, serialized as JSON, in bytes. @default 65536 */
  maxFieldsBytes: number;
}

export const DEFAULT_ENTRY_LIMITS: EntryLimits = { maxMessageBytes: 64 * 1024, maxFieldsBytes: 64 * 1024 };

/** A native entry once validated: what the service hands to `LogStorage.store`. */
export interface ValidEntry {
  timestamp?: Date;
  level?: LogLevel;
  source?: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** Why one item was refused; `field` names the offending property when there is one. */
export interface ItemIssue {
  error: string;
  field?: string;
  /** NDJSON: the item's line in the body (1-based, blank lines counted). */
  lineNumber?: number;
  /** The item error's code; `BATCHLOG_VALIDATION` when absent. */
  code?: string;
}

// The range a JavaScript Date can hold; storage narrows it further.
const MAX_DATE_MS = 8.64e15;
const TIMESTAMP_HINT = "must be an ISO-8601 string, epoch milliseconds or a Date";
const TOO_DEEP = `nested more than ${MAX_JSON_DEPTH} levels deep`;
const MAX_SOURCE_CHARS = 256;
const EPOCH_DIGITS = /^\d{1,16}$/;

// The rules of an entry, each one function that both the zod schema and acceptPlainEntry call.

/** Date | epoch ms number | digit string | ISO-8601 (UTC when it has no offset) → Date. */
function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(Math.trunc(value));
  if (typeof value !== "string") return undefined;
  if (EPOCH_DIGITS.test(value)) return new Date(Number(value));
  // UTC without an offset, not the server's local time; a day that does not exist is refused
  const ms = parseIsoMs(value);
  return ms === undefined ? undefined : new Date(ms);
}

/** The time a `timestamp` stands for, or what is wrong with it. */
function readTimestamp(value: unknown): Date | string {
  // A number (or digits in a string) is taken for epoch milliseconds only when it plausibly is
  // (epoch-ms.ts): epoch seconds read as milliseconds would be stored in January 1970, outside
  // every recent search and first in line for age-based retention, with nothing to say why.
  // (any number of digits: a nanosecond count beyond 2^53 arrives as its digits, see json-numbers.ts)
  if (typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value))) {
    const issue = implausibleEpochMs(Number(value));
    if (issue !== undefined) return `${clip(String(value))} ${issue}`;
  }
  const date = toDate(value);
  if (date === undefined) return TIMESTAMP_HINT;
  const ms = date.getTime();
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? date : "not a valid time";
}

/** UTF-8 takes at most 3 bytes per UTF-16 unit: bytes are counted only when that could exceed `max`. */
function fitsBytes(text: string, max: number): boolean {
  return text.length * 3 <= max || Buffer.byteLength(text) <= max;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** What is wrong with a `fields` object as stored (size, depth), or undefined. */
function fieldsIssue(fields: Record<string, unknown>, maxBytes: number): string | undefined {
  const json = serialized(fields);
  // Parsed JSON always serializes unless it nests so deep that JSON.stringify runs out of stack.
  if (json === undefined) return TOO_DEEP;
  if (!fitsBytes(json, maxBytes)) return `larger than ${maxBytes} bytes serialized`;
  // The same depth rule as a large body's (json-depth.ts), whatever the body's size; nesting
  // needs two characters a level, so short JSON is not scanned.
  if (json.length > 2 * MAX_JSON_DEPTH && nestsDeeperThan(json, MAX_JSON_DEPTH)) return TOO_DEEP;
  return undefined;
}

function hasKeys(fields: Record<string, unknown> | null | undefined): boolean {
  if (fields == null) return false;
  for (const _ in fields) return true;
  return false;
}

// One transform rather than a union: a union builds an issue for every branch it rejects, which
// costs more than the rest of the entry's validation put together.
const timestampSchema = z.unknown().transform((value, ctx): Date => {
  const date = readTimestamp(value);
  if (typeof date === "string") {
    ctx.addIssue({ code: "custom", message: date });
    return z.NEVER;
  }
  return date;
});

const levelSchema = z.string({ error: "must be a string" }).transform((value, ctx): LogLevel => {
  const level = parseLevel(value);
  if (level === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `unknown level "${clip(value)}" (trace, debug, info, warn, error, fatal, or an alias such as warning, err, critical)`,
    });
    return z.NEVER;
  }
  return level;
});

const sourceSchema = z
  .string({ error: "must be a string" })
  .min(1, { error: `must be 1–${MAX_SOURCE_CHARS} characters` })
  .max(MAX_SOURCE_CHARS, { error: `must be 1–${MAX_SOURCE_CHARS} characters` });

/** Builds the zod schema of one native entry (SPEC §1) for the given size limits. */
function createEntrySchema(limits: EntryLimits) {
  const messageSchema = z
    .string({ error: "is required and must be a string" })
    .refine((m) => fitsBytes(m, limits.maxMessageBytes), {
      error: `longer than ${limits.maxMessageBytes} bytes`,
    });
  const fieldsSchema = z
    .custom<Record<string, unknown>>(isJsonObject, { error: "must be a JSON object" })
    .superRefine((fields, ctx) => {
      const issue = fieldsIssue(fields, limits.maxFieldsBytes);
      if (issue !== undefined) ctx.addIssue({ code: "custom", message: issue });
    });
  return z
    .strictObject(
      {
        timestamp: timestampSchema.nullish(),
        level: levelSchema.nullish(),
        source: sourceSchema.nullish(),
        message: messageSchema,
        fields: fieldsSchema.nullish(),
      },
      { error: (issue) => (issue.code === "unrecognized_keys" ? undefined : "must be a JSON object") },
    )
    .superRefine((entry, ctx) => {
      if (entry.message.length === 0 && !hasKeys(entry.fields)) {
        ctx.addIssue({
          code: "custom",
          path: ["message"],
          message: "may be empty only when fields has keys",
        });
      }
    });
}

/** The entry rules for given size limits: the zod schema, and the limits its fast path checks. */
export interface EntryValidator {
  readonly limits: EntryLimits;
  readonly schema: ReturnType<typeof createEntrySchema>;
}

export function createEntryValidator(limits: EntryLimits = DEFAULT_ENTRY_LIMITS): EntryValidator {
  return { limits, schema: createEntrySchema(limits) };
}

const ENTRY_KEYS = new Set(["timestamp", "level", "source", "message", "fields"]);

/**
 * Validates one decoded JSON item; returns the entry or the first problem found. An entry that
 * passes every rule as it is takes the fast path; anything else goes through the zod schema,
 * which decides and words the problem.
 */
export function validateEntry(validator: EntryValidator, item: unknown): ValidEntry | ItemIssue {
  const plain = acceptPlainEntry(item, validator.limits);
  return plain ?? validateBySchema(validator, item);
}

/** The zod schema's verdict on one item: the entry, or its first issue. */
export function validateBySchema(validator: EntryValidator, item: unknown): ValidEntry | ItemIssue {
  const result = validator.schema.safeParse(item);
  if (!result.success) return issueOf(result.error.issues[0]);
  const { timestamp, level, source, message, fields } = result.data;
  const entry: ValidEntry = { message };
  if (timestamp != null) entry.timestamp = timestamp;
  if (level != null) entry.level = level;
  if (source != null) entry.source = source;
  if (fields != null && hasKeys(fields)) entry.fields = fields;
  return entry;
}

/**
 * The entry the zod schema would return for `item`, checked by the same rule functions without
 * zod's per-call machinery, or undefined whenever anything is off (the schema then decides).
 * Why: on the ingest route zod's safeParse made 4–10× the old-generation promotion and ~40% more
 * main-thread CPU per entry (README, Architecture). entry-fast-path.test.ts holds it to the
 * schema: it accepts exactly what the schema accepts, as the same entry.
 */
export function acceptPlainEntry(item: unknown, limits: EntryLimits): ValidEntry | undefined {
  if (item === null || typeof item !== "object") return;
  for (const key in item) if (!ENTRY_KEYS.has(key)) return;
  const { timestamp, level, source, message, fields } = item as Record<string, unknown>;
  if (typeof message !== "string" || !fitsBytes(message, limits.maxMessageBytes)) return;
  const entry: ValidEntry = { message };
  if (timestamp != null) {
    const date = readTimestamp(timestamp);
    if (typeof date === "string") return;
    entry.timestamp = date;
  }
  if (level != null) {
    const parsed = typeof level === "string" ? parseLevel(level) : undefined;
    if (parsed === undefined) return;
    entry.level = parsed;
  }
  if (source != null) {
    if (typeof source !== "string" || source.length < 1 || source.length > MAX_SOURCE_CHARS) return;
    entry.source = source;
  }
  if (fields != null) {
    if (!isJsonObject(fields) || fieldsIssue(fields, limits.maxFieldsBytes) !== undefined) return;
    if (hasKeys(fields)) entry.fields = fields;
  }
  if (message.length === 0 && entry.fields === undefined) return;
  return entry;
}

export function isItemIssue(value: ValidEntry | ItemIssue): value is ItemIssue {
  return "error" in value;
}

function issueOf(issue: z.core.$ZodIssue | undefined): ItemIssue {
  if (issue === undefined) return { error: "invalid entry" };
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `"${clip(k)}"`).join(", ");
    return {
      field: issue.keys[0] ?? "entry",
      error: `unknown key ${keys}: an entry has timestamp, level, source, message, fields (put other attributes in fields)`,
    };
  }
  const field = issue.path.length > 0 ? issue.path.map(String).join(".") : "entry";
  return { field, error: `${field}: ${issue.message}` };
}

function serialized(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
