import { type LogLevel, parseLevel } from "@batchlog/storage";
import { z } from "zod";

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

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const HAS_OFFSET = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/;
// The range a JavaScript Date can hold; storage narrows it further.
const MAX_DATE_MS = 8.64e15;
const TIMESTAMP_HINT = "must be an ISO-8601 string, epoch milliseconds or a Date";

const isoTimestamp = z
  .union([z.iso.datetime({ offset: true, local: true }), z.string().regex(ISO_DATE)])
  // Without an offset the time is read as UTC, not as the server's local time.
  .transform((s) => new Date(ISO_DATE.test(s) || HAS_OFFSET.test(s) ? s : `${s}Z`));

const timestampSchema = z
  .union(
    [
      z.date(),
      z.number().transform((n) => new Date(Math.trunc(n))),
      z
        .string()
        .regex(/^\d{1,16}$/)
        .transform((s) => new Date(Number(s))),
      isoTimestamp,
    ],
    { error: TIMESTAMP_HINT },
  )
  .refine((d) => Number.isFinite(d.getTime()) && Math.abs(d.getTime()) <= MAX_DATE_MS, {
    error: "not a valid time",
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
    .record(z.string(), z.unknown(), { error: "must be a JSON object" })
    .superRefine((fields, ctx) => {
      const size = serializedSize(fields);
      if (size === undefined) ctx.addIssue({ code: "custom", message: "not serializable to JSON" });
      else if (size > limits.maxFieldsBytes) {
        ctx.addIssue({ code: "custom", message: `larger than ${limits.maxFieldsBytes} bytes serialized` });
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

function serializedSize(value: unknown): number | undefined {
  try {
    const json = JSON.stringify(value);
    return json === undefined ? undefined : Buffer.byteLength(json);
  } catch {
    return undefined;
  }
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
