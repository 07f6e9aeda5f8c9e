import { bodyText } from "./body-text.js";
import { BadRequestError, UnsupportedMediaTypeError } from "./errors.js";
import { refuseDeepJson } from "./json-depth.js";
import { parseJsonExact } from "./json-numbers.js";
import { isJsonMediaType, isNdjsonMediaType, mediaType } from "./media-type.js";
import type { RawItem } from "./validate-items.js";

/**
 * Splits a native ingestion body into items: a JSON object (one item), a JSON array (one item
 * per element) or NDJSON (one item per non-empty line). NDJSON is used for the ndjson/jsonl
 * media types, and for any body that is not one JSON document but whose first line is a JSON
 * object; a malformed NDJSON line is an item error, not a failed request.
 *
 * Accepted media types: none, `application/json` (and `+json`), the ndjson/jsonl family,
 * `text/plain`. Anything else is a 415.
 */
export function parseNativeBody(body: Buffer, contentType: string | undefined): RawItem[] {
  const type = mediaType(contentType);
  const ndjson = isNdjsonMediaType(type);
  if (!ndjson && type !== undefined && !isJsonMediaType(type) && type !== "text/plain") {
    throw new UnsupportedMediaTypeError(
      `unsupported Content-Type "${type.slice(0, 60)}": send application/json (an object or an array), application/x-ndjson, or text/plain (read as JSON or NDJSON)`,
    );
  }
  const text = bodyText(body, contentType);
  if (text.trim().length === 0) throw new BadRequestError("request body is empty", { param: "body" });
  if (ndjson) return parseLines(text);
  let document: unknown;
  try {
    refuseDeepJson(text, "request body");
    document = parseJsonExact(text);
  } catch (error) {
    // NDJSON sent as JSON: each line is parsed, and its depth checked, as an item of its own
    if (looksLikeNdjson(text)) return parseLines(text);
    if (error instanceof BadRequestError) throw error;
    throw new BadRequestError(`request body is not valid JSON: ${(error as Error).message.slice(0, 120)}`, {
      param: "body",
    });
  }
  if (Array.isArray(document)) return document.map((raw) => ({ raw }));
  if (document !== null && typeof document === "object") return [{ raw: document }];
  throw new BadRequestError("request body must be a JSON object, a JSON array of objects, or NDJSON", {
    param: "body",
  });
}

/**
 * NDJSON: one item per non-empty line, parsed later with its validation (in chunks). A line may
 * start with the record separator (0x1E) that JSON text sequences (RFC 7464,
 * application/json-seq) put before each record.
 */
function parseLines(text: string): RawItem[] {
  const items: RawItem[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.charCodeAt(0) === 0x1e ? raw.slice(1) : raw;
    if (line.trim().length > 0) items.push({ line, lineNumber: i + 1 });
  });
  return items;
}

function looksLikeNdjson(text: string): boolean {
  const lines = text.split("\n").filter((l) => l.trim().length > 0);
  if (lines.length < 2) return false;
  try {
    const first: unknown = JSON.parse(lines[0] as string);
    return first !== null && typeof first === "object" && !Array.isArray(first);
  } catch {
    return false;
  }
}
