import { flattenAnyValue, flattenKeyValues } from "./any-value.js";
import { bodyText } from "./body-text.js";
import { clip } from "./clip.js";
import { clipSource } from "./entry-mapping.js";
import { BadRequestError, UnsupportedMediaTypeError } from "./errors.js";
import { type ExpansionBudget, sharedBytes } from "./expansion-budget.js";
import { refuseDeepJson } from "./json-depth.js";
import { parseJsonExact } from "./json-numbers.js";
import { isJsonMediaType, isProtobufMediaType, mediaType, startsLikeJsonObject } from "./media-type.js";
import { decodeOtlpLogsRequest } from "./otlp-proto.js";
import { keepSeverity, severityToLevel } from "./severity.js";
import { implausibleNanos, nanosToMillis } from "./timestamps.js";
import type { RawItem } from "./validate-items.js";

/** Which encoding an OTLP request used; the response must use the same. */
export type OtlpEncoding = "json" | "protobuf";

/** The OTLP encoding of a request's Content-Type; 415 for anything else. */
export function otlpEncoding(contentType: string | undefined, body?: Buffer): OtlpEncoding {
  const type = mediaType(contentType);
  if (isJsonMediaType(type)) return "json";
  if (isProtobufMediaType(type)) return "protobuf";
  if (type === undefined) return body !== undefined && startsLikeJsonObject(body) ? "json" : "protobuf";
  throw new UnsupportedMediaTypeError(
    `unsupported Content-Type "${type.slice(0, 60)}": send application/json or application/x-protobuf`,
  );
}

/**
 * Maps an OTLP/HTTP ExportLogsServiceRequest (JSON or protobuf, already decompressed) to one
 * candidate per log record, in order.
 *
 * Mapping: level from severityNumber/severityText (see `severityToLevel`); source ← the resource
 * attribute `service.name` (else `unknown`); fields ← resource, then scope, then record attributes
 * (a later one wins on a clash) plus `otel.scope.name`, `otel.scope.version`, `trace_id`, `span_id`
 * (hex), `event_name`, `flags` and `dropped_attributes_count` when set (and the resource's and
 * scope's own dropped counts as `otel.resource.dropped_attributes_count`,
 * `otel.scope.dropped_attributes_count`); message ← body (a string
 * as is, an empty one as "", any other AnyValue as JSON); timestamp ← timeUnixNano, else
 * observedTimeUnixNano, else the time of receipt.
 * A structurally broken request is a BadRequestError; a bad record only rejects that record.
 * Records copying more resource and scope attributes than `budget` allows are a 413.
 */
export function otlpRawItems(
  body: Buffer,
  encoding: OtlpEncoding,
  contentType: string | undefined,
  now: number,
  budget: ExpansionBudget,
): RawItem[] {
  const request = encoding === "json" ? parseJson(body, contentType) : parseProto(body);
  if (!isObject(request))
    throw new BadRequestError("body must be an ExportLogsServiceRequest object", { param: "body" });
  const out: RawItem[] = [];
  for (const resourceLogs of list(request, "resourceLogs", "resource_logs")) {
    const resource = (resourceLogs as Record<string, unknown>).resource;
    const resourceAttributes = isObject(resource) ? attributes(resource) : {};
    const serviceName = resourceAttributes["service.name"];
    if (isObject(resource))
      keepDropped(resource, resourceAttributes, "otel.resource.dropped_attributes_count");
    const source =
      typeof serviceName === "string" && serviceName.length > 0 ? clipSource(serviceName) : undefined;
    for (const scopeLogs of list(resourceLogs, "scopeLogs", "scope_logs")) {
      const scope = (scopeLogs as Record<string, unknown>).scope;
      const scopeFields: Record<string, unknown> = isObject(scope) ? attributes(scope) : {};
      if (isObject(scope)) {
        if (typeof scope.name === "string" && scope.name.length > 0)
          scopeFields["otel.scope.name"] = scope.name;
        if (typeof scope.version === "string" && scope.version.length > 0) {
          scopeFields["otel.scope.version"] = scope.version;
        }
        keepDropped(scope, scopeFields, "otel.scope.dropped_attributes_count");
      }
      const inherited = { ...resourceAttributes, ...scopeFields };
      const inheritedBytes = sharedBytes(inherited);
      for (const record of list(scopeLogs, "logRecords", "log_records")) {
        budget.charge(inheritedBytes);
        out.push(recordRawItem(record as Record<string, unknown>, inherited, source, now));
      }
    }
  }
  return out;
}

function recordRawItem(
  record: Record<string, unknown>,
  inherited: Record<string, unknown>,
  source: string | undefined,
  now: number,
): RawItem {
  let fields: Record<string, unknown>;
  let message: string;
  try {
    fields = { ...inherited, ...attributes(record) };
  } catch (error) {
    return { field: "attributes", error: (error as Error).message };
  }
  try {
    const body = record.body;
    // An empty AnyValue (`{}`: what the JS exporter sends for a record without a body, such as
    // an event) is no body at all, as the same record sent as protobuf decodes: not "null".
    const flat = body === undefined || body === null ? null : flattenAnyValue(body);
    message = flat === null ? "" : typeof flat === "string" ? flat : (JSON.stringify(flat) ?? "");
  } catch (error) {
    return { field: "body", error: `body: ${(error as Error).message}` };
  }
  const traceId = hexId(pick(record, "traceId", "trace_id"), 16);
  if (traceId !== undefined) fields.trace_id = traceId;
  const spanId = hexId(pick(record, "spanId", "span_id"), 8);
  if (spanId !== undefined) fields.span_id = spanId;
  const eventName = pick(record, "eventName", "event_name");
  if (typeof eventName === "string" && eventName.length > 0) fields.event_name = eventName;
  // Kept under Loki's names when set: the W3C trace flags (sampled or not) and how many
  // attributes the SDK dropped, which says the record arrived incomplete.
  const flags = count(record.flags);
  if (flags !== undefined) fields.flags = flags;
  const dropped = count(pick(record, "droppedAttributesCount", "dropped_attributes_count"));
  if (dropped !== undefined) fields.dropped_attributes_count = dropped;

  const severityNumber = pick(record, "severityNumber", "severity_number");
  const severityText = pick(record, "severityText", "severity_text");
  const level = severityToLevel(severityNumber, severityText);
  keepSeverity(fields, level, severityNumber, severityText);

  const time = timestampOf(record, now);
  if (typeof time === "string") return { field: "timestamp", error: `timestamp: ${time}` };
  const entry: Record<string, unknown> = {
    // A Date, not a number: a number is judged as native JSON's epoch milliseconds (epoch-ms.ts)
    timestamp: new Date(time),
    level,
    message,
    fields,
  };
  if (source !== undefined) entry.source = source;
  return { raw: entry };
}

/** A resource's or scope's count of attributes the SDK dropped, when non-zero: its attributes are incomplete. */
function keepDropped(holder: Record<string, unknown>, fields: Record<string, unknown>, key: string): void {
  const dropped = count(pick(holder, "droppedAttributesCount", "dropped_attributes_count"));
  if (dropped !== undefined) fields[key] = dropped;
}

/** The record's time in epoch ms (0 means "not set", as the spec says), or why it cannot be read. */
function timestampOf(record: Record<string, unknown>, now: number): number | string {
  for (const [camel, snake] of [
    ["timeUnixNano", "time_unix_nano"],
    ["observedTimeUnixNano", "observed_time_unix_nano"],
  ] as const) {
    const value = pick(record, camel, snake);
    if (
      value === undefined ||
      value === null ||
      value === 0 ||
      (typeof value === "string" && /^0+$/.test(value))
    )
      continue;
    const ms = nanosToMillis(value);
    if (ms === undefined) return `${camel} must be nanoseconds since the epoch`;
    const implausible = implausibleNanos(value as string | number);
    return implausible === undefined ? ms : `${camel} ${clip(String(value))} ${implausible}`;
  }
  return now;
}

/** A uint32 field (a number, or its decimal string in OTLP/JSON); 0 or anything else means "not set". */
function count(value: unknown): number | undefined {
  const n = typeof value === "string" && /^\d{1,10}$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n > 0 && n <= 0xffffffff ? n : undefined;
}

/**
 * trace/span ids: hex in OTLP/JSON, bytes in protobuf; all-zero or empty means "not set". An id in
 * base64 (protobuf's generic JSON mapping: grpc-gateway, Python's MessageToJson) is turned into
 * hex: at its byte length (16 or 8) it cannot also be hex, which takes twice as many characters.
 */
function hexId(value: unknown, byteLength: 16 | 8): string | undefined {
  let hex: string | undefined;
  if (value instanceof Uint8Array) hex = Buffer.from(value).toString("hex");
  else if (typeof value === "string") {
    if (/^[0-9a-f]+$/i.test(value)) hex = value.toLowerCase();
    else {
      const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, "base64") : undefined;
      hex = bytes?.length === byteLength && value.length <= 24 ? bytes.toString("hex") : value;
    }
  }
  if (hex === undefined || hex.length === 0 || /^0+$/.test(hex)) return undefined;
  return hex;
}

/** Flattened attributes; too deep a value is a BadRequestError (a record catches it as its own). */
function attributes(holder: Record<string, unknown>): Record<string, unknown> {
  try {
    return flattenKeyValues(holder.attributes);
  } catch (error) {
    throw new BadRequestError(`attributes: ${(error as Error).message}`, { param: "body", cause: error });
  }
}

function list(holder: unknown, camel: string, snake: string): Record<string, unknown>[] {
  const value = isObject(holder) ? pick(holder, camel, snake) : undefined;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isObject)) {
    throw new BadRequestError(`${camel} must be an array of objects`, { param: "body" });
  }
  return value;
}

function pick(v: Record<string, unknown>, camel: string, snake: string): unknown {
  return v[camel] ?? v[snake];
}

function parseJson(body: Buffer, contentType: string | undefined): unknown {
  const text = bodyText(body, contentType);
  refuseDeepJson(text, "body");
  try {
    return parseJsonExact(text);
  } catch (error) {
    throw new BadRequestError(`body is not valid JSON: ${(error as Error).message.slice(0, 120)}`, {
      param: "body",
    });
  }
}

function parseProto(body: Buffer): unknown {
  try {
    return decodeOtlpLogsRequest(body);
  } catch (error) {
    throw new BadRequestError("body is not a valid protobuf ExportLogsServiceRequest", {
      param: "body",
      cause: error,
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
