import { type LogLevel, parseLevel } from "@batchlog/storage";
import { z } from "zod";
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
}

// The range a JavaScript Date can hold; storage narrows it further.
const MAX_DATE_MS = 8.64e15;
const TIMESTAMP_HINT = "must be an ISO-8601 string, epoch milliseconds or a Date";
const TOO_DEEP = `nested more than ${MAX_JSON_DEPTH} levels deep`;

/** Date | epoch ms number | digit string | ISO-8601 (UTC when it has no offset) → Date. */
function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(Math.trunc(value));
  if (typeof value !== "string") return undefined;
  if (/^\d{1,16}$/.test(value)) return new Date(Number(value));
  // UTC without an offset, not the server's local time; a day that does not exist is refused
  const ms = parseIsoMs(value);
  return ms === undefined ? undefined : new Date(ms);
}

// One transform rather than a union: a union builds an issue for every branch it rejects, which
// costs more than the rest of the entry's validation put together.
const timestampSchema = z.unknown().transform((value, ctx): Date => {
  const date = toDate(value);
  if (date === undefined) {
    ctx.addIssue({ code: "custom", message: TIMESTAMP_HINT });
    return z.NEVER;
  }
  const ms = date.getTime();
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) {
    ctx.addIssue({ code: "custom", message: "not a valid time" });
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
  .min(1, { error: "must be 1–256 characters" })
  .max(256, { error: "must be 1–256 characters" });

/** Builds the zod schema of one native entry (SPEC §1) for the given size limits. */
export function createEntrySchema(limits: EntryLimits = DEFAULT_ENTRY_LIMITS) {
  const messageSchema = z
    .string({ error: "is required and must be a string" })
    .refine((m) => m.length * 3 <= limits.maxMessageBytes || Buffer.byteLength(m) <= limits.maxMessageBytes, {
      error: `longer than ${limits.maxMessageBytes} bytes`,
    });
  const fieldsSchema = z
    .custom<Record<string, unknown>>((v) => v !== null && typeof v === "object" && !Array.isArray(v), {
      error: "must be a JSON object",
    })
    .superRefine((fields, ctx) => {
      const json = serialized(fields);
      // Parsed JSON always serializes unless it nests so deep that JSON.stringify runs out of stack.
      if (json === undefined) ctx.addIssue({ code: "custom", message: TOO_DEEP });
      // UTF-8 takes at most 3 bytes per UTF-16 unit: count bytes only when that could exceed the limit
      else if (json.length * 3 > limits.maxFieldsBytes && Buffer.byteLength(json) > limits.maxFieldsBytes) {
        ctx.addIssue({ code: "custom", message: `larger than ${limits.maxFieldsBytes} bytes serialized` });
      }
      // The same depth rule as a large body's (json-depth.ts), whatever the body's size; nesting
      // needs two characters a level, so short JSON is not scanned.
      else if (json.length > 2 * MAX_JSON_DEPTH && nestsDeeperThan(json, MAX_JSON_DEPTH)) {
        ctx.addIssue({ code: "custom", message: TOO_DEEP });
      }
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
      if (entry.message.length === 0 && (entry.fields == null || Object.keys(entry.fields).length === 0)) {
        ctx.addIssue({
          code: "custom",
          path: ["message"],
          message: "may be empty only when fields has keys",
        });
      }
    });
}

export type EntrySchema = ReturnType<typeof createEntrySchema>;

/** Validates one decoded JSON item; returns the entry or the first problem found. */
export function validateEntry(schema: EntrySchema, item: unknown): ValidEntry | ItemIssue {
  const result = schema.safeParse(item);
  if (!result.success) return issueOf(result.error.issues[0]);
  const { timestamp, level, source, message, fields } = result.data;
  const entry: ValidEntry = { message };
  if (timestamp != null) entry.timestamp = timestamp;
  if (level != null) entry.level = level;
  if (source != null) entry.source = source;
  if (fields != null && Object.keys(fields).length > 0) entry.fields = fields;
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

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
