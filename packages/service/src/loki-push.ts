import { bodyText } from "./body-text.js";
import { clip } from "./clip.js";
import { snappyUncompress } from "./decode-body.js";
import { LEVEL_KEYS, levelFrom, SOURCE_KEYS, sourceFrom } from "./entry-mapping.js";
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "./errors.js";
import { EXPANSION_FACTOR, ExpansionBudget, sharedBytes } from "./expansion-budget.js";
import { refuseDeepJson } from "./json-depth.js";
import { parseJsonExact } from "./json-numbers.js";
import { parseLabelSet } from "./label-set.js";
import { decodeLokiPushRequest, type LokiProtoPush } from "./loki-proto.js";
import { isJsonMediaType, isProtobufMediaType, mediaType, startsLikeJsonObject } from "./media-type.js";
import { setOwn } from "./own-key.js";
import { implausibleNanos, nanosToMillis } from "./timestamps.js";
import type { RawItem } from "./validate-items.js";

/**
 * Maps a Loki push body (already stripped of its Content-Encoding) to one candidate per log line,
 * in stream order. JSON (`application/json`) is `{streams:[{stream:{labels}, values:[[ts_ns, line,
 * {structured metadata}?]]}]}` (the legacy `{labels:"{…}", entries:[{ts, line}]}` form too);
 * anything else is a `logproto.PushRequest`, snappy block-compressed as every Loki client sends it
 * (an uncompressed one is accepted too).
 *
 * Mapping: labels and structured metadata (metadata wins on a clash) → `fields`, all kept;
 * level ← the first of `level`, `severity`, `detected_level`, `lvl`, `loglevel` holding a known level
 * or alias (else `info`); source ← the first of `service_name`, `service`, `app`, `application`, `job`
 * (else `unknown`); the line → `message`; the nanosecond timestamp → milliseconds.
 */
export async function lokiRawItems(
  body: Buffer,
  contentType: string | undefined,
  maxBytes: number,
): Promise<RawItem[]> {
  const type = mediaType(contentType);
  const json = isJsonMediaType(type) || (type === undefined && startsLikeJsonObject(body));
  // every line gets its own copy of its stream's labels: the copies count against a multiple of the body limit
  const budget = new ExpansionBudget(EXPANSION_FACTOR * maxBytes);
  if (json) return fromJson(parseJson(body, contentType), budget);
  if (type !== undefined && !isProtobufMediaType(type)) {
    throw new UnsupportedMediaTypeError(
      `unsupported Content-Type "${type.slice(0, 60)}": send application/json or application/x-protobuf`,
    );
  }
  return fromProto(await decodeProto(body, maxBytes), budget);
}

async function decodeProto(body: Buffer, maxBytes: number): Promise<LokiProtoPush> {
  let failure: BadRequestError;
  try {
    const uncompressed = await snappyUncompress(body, maxBytes);
    try {
      return decodeLokiPushRequest(uncompressed);
    } catch (error) {
      failure = new BadRequestError(
        `body is snappy-compressed but not a logproto.PushRequest: ${clip((error as Error).message)}`,
        { param: "body", cause: error },
      );
    }
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw error;
    failure = new BadRequestError("body is not a snappy-compressed logproto.PushRequest", {
      param: "body",
      cause: error,
    });
  }
  try {
    // a sender that skips snappy
    const push = decodeLokiPushRequest(body);
    if ((push.streams?.length ?? 0) > 0) return push;
  } catch {
    // fall through: report the snappy failure, the usual case
  }
  throw failure;
}

function parseJson(body: Buffer, contentType: string | undefined): unknown {
  const text = bodyText(body, contentType);
  try {
    refuseDeepJson(text, "body");
    return parseJsonExact(text);
  } catch (error) {
    if (error instanceof BadRequestError) throw error;
    throw new BadRequestError(`body is not valid JSON: ${(error as Error).message.slice(0, 120)}`, {
      param: "body",
    });
  }
}

function fromJson(push: unknown, budget: ExpansionBudget): RawItem[] {
  if (!isObject(push) || !Array.isArray(push.streams)) {
    throw new BadRequestError('Loki push body must be {"streams": [...]}', { param: "body" });
  }
  const out: RawItem[] = [];
  for (const stream of push.streams as unknown[]) {
    if (!isObject(stream)) {
      throw new BadRequestError("each element of streams must be an object", { param: "body" });
    }
    if (Array.isArray(stream.values)) jsonStream(stream, stream.values, out, budget);
    else if (Array.isArray(stream.entries)) legacyStream(stream, stream.entries, out, budget);
    else throw new BadRequestError("each stream must have a values array", { param: "body" });
  }
  return out;
}

function jsonStream(
  stream: Record<string, unknown>,
  values: unknown[],
  out: RawItem[],
  budget: ExpansionBudget,
) {
  const labels = jsonLabels(stream);
  const labelBytes = typeof labels === "string" ? 0 : sharedBytes(labels);
  for (const value of values) {
    if (typeof labels === "string") {
      out.push({ field: "stream", error: labels });
      continue;
    }
    if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
      out.push({
        error: "each value must be [timestamp_ns, line] or [timestamp_ns, line, structured_metadata]",
      });
      continue;
    }
    const [ts, line, metadata] = value as [unknown, unknown, unknown];
    const meta = metadata === undefined || metadata === null ? {} : stringMap(metadata);
    if (meta === undefined) {
      out.push({ field: "structured_metadata", error: "structured metadata must be an object of strings" });
      continue;
    }
    budget.charge(labelBytes);
    out.push(toRawItem(labels, meta, ts, line));
  }
}

function legacyStream(
  stream: Record<string, unknown>,
  entries: unknown[],
  out: RawItem[],
  budget: ExpansionBudget,
) {
  let labels: Record<string, string> | string;
  try {
    labels = typeof stream.labels === "string" ? parseLabelSet(stream.labels) : "labels must be a string";
  } catch (error) {
    labels = (error as Error).message;
  }
  const labelBytes = typeof labels === "string" ? 0 : sharedBytes(labels);
  for (const entry of entries) {
    if (typeof labels === "string") out.push({ field: "labels", error: labels });
    else if (!isObject(entry)) out.push({ error: "each entry must be {ts, line}" });
    else {
      const ms = typeof entry.ts === "string" ? Date.parse(entry.ts) : Number.NaN;
      const ts = Number.isFinite(ms) ? String(BigInt(ms) * 1_000_000n) : entry.ts;
      budget.charge(labelBytes);
      out.push(toRawItem(labels, {}, ts, entry.line));
    }
  }
}

function fromProto(push: LokiProtoPush, budget: ExpansionBudget): RawItem[] {
  const out: RawItem[] = [];
  for (const stream of push.streams ?? []) {
    let labels: Record<string, string> | undefined;
    let labelError = "";
    try {
      labels = parseLabelSet(stream.labels ?? "{}");
    } catch (error) {
      labelError = (error as Error).message;
    }
    const labelBytes = labels === undefined ? 0 : sharedBytes(labels);
    for (const entry of stream.entries ?? []) {
      if (labels === undefined) {
        out.push({ field: "labels", error: labelError });
        continue;
      }
      const meta: Record<string, string> = {};
      for (const pair of entry.structuredMetadata ?? []) setOwn(meta, pair.name ?? "", pair.value ?? "");
      const seconds = BigInt(entry.timestamp?.seconds ?? "0");
      const nanos = BigInt(entry.timestamp?.nanos ?? 0);
      const ts = seconds * 1_000_000_000n + nanos;
      budget.charge(labelBytes);
      out.push(toRawItem(labels, meta, ts >= 0n ? ts.toString() : "-", entry.line ?? ""));
    }
  }
  return out;
}

function toRawItem(
  labels: Record<string, string>,
  metadata: Record<string, string>,
  ts: unknown,
  line: unknown,
): RawItem {
  const ms = nanosToMillis(ts);
  if (ms === undefined) {
    return {
      field: "timestamp",
      error: "timestamp: must be nanoseconds since the epoch as a decimal string",
    };
  }
  const implausible = implausibleNanos(ts as string);
  if (implausible !== undefined) return { field: "timestamp", error: `timestamp: ${ts} ${implausible}` };
  if (typeof line !== "string") return { field: "message", error: "message: the log line must be a string" };
  const fields: Record<string, string> = { ...labels, ...metadata };
  const entry: Record<string, unknown> = {
    // A Date, not a number: a number is judged as native JSON's epoch milliseconds (epoch-ms.ts)
    timestamp: new Date(ms),
    level: levelFrom(metadata, LEVEL_KEYS) ?? levelFrom(labels, LEVEL_KEYS) ?? "info",
    message: line,
    fields,
  };
  const source = sourceFrom(fields, SOURCE_KEYS);
  if (source !== undefined) entry.source = source;
  return { raw: entry };
}

/** A stream's labels: its `stream` object, or (as some clients send) a `labels` selector string. */
function jsonLabels(stream: Record<string, unknown>): Record<string, string> | string {
  const value = stream.stream;
  if ((value === undefined || value === null) && typeof stream.labels === "string") {
    try {
      return parseLabelSet(stream.labels);
    } catch (error) {
      return `labels: ${(error as Error).message}`;
    }
  }
  if (value === undefined || value === null) return {};
  return stringMap(value) ?? "stream labels must be an object of strings";
}

/** An object whose values are strings (numbers and booleans are turned into strings). */
function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === "string") setOwn(out, key, v);
    else if (typeof v === "number" || typeof v === "boolean") setOwn(out, key, String(v));
    else return undefined;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
