import { clip } from "./clip.js";
import { setOwn } from "./own-key.js";

/**
 * OTLP AnyValue → a plain JSON value. Reads the JSON encoding (lowerCamelCase or snake_case keys,
 * int64 as string or number, bytes as base64 strings) and the decoded protobuf form (bytes as
 * Uint8Array, int64 as decimal strings). kvlist → object, array → array, bytes → base64 string,
 * int64 → number when it is a safe integer, else its decimal string; a double that is NaN or
 * infinite → "NaN", "Infinity", "-Infinity" (JSON has no such number); an empty AnyValue → null
 * (and so is an object of unknown keys only: OTLP/JSON receivers must ignore unknown fields).
 * Anything that is not an object (`"body": "text"` instead of `{"stringValue": "text"}`) throws:
 * stored, it would become an empty message or a null attribute with nothing said.
 */
export function flattenAnyValue(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new RangeError(`attribute values nested deeper than ${MAX_DEPTH} levels`);
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(
      `not an AnyValue: got ${Array.isArray(value) ? "an array" : `a ${typeof value}`}, expected an object such as {"stringValue":"…"}`,
    );
  }
  const v = value as Record<string, unknown>;
  const string = pick(v, "stringValue", "string_value");
  if (string !== undefined) return typeof string === "string" ? string : String(string);
  const bool = pick(v, "boolValue", "bool_value");
  if (bool !== undefined) return bool === true || bool === "true";
  const int = pick(v, "intValue", "int_value");
  if (int !== undefined) return int64(int);
  const double = pick(v, "doubleValue", "double_value");
  if (double !== undefined) return doubleValue(double);
  const array = pick(v, "arrayValue", "array_value");
  if (array !== undefined) {
    const values = (array as { values?: unknown } | null)?.values;
    return Array.isArray(values) ? values.map((item) => flattenAnyValue(item, depth + 1)) : [];
  }
  const kvlist = pick(v, "kvlistValue", "kvlist_value");
  if (kvlist !== undefined)
    return flattenKeyValues((kvlist as { values?: unknown } | null)?.values, depth + 1);
  const bytes = pick(v, "bytesValue", "bytes_value");
  if (bytes !== undefined)
    return bytes instanceof Uint8Array ? Buffer.from(bytes).toString("base64") : String(bytes);
  return null;
}

/** A KeyValue list (attributes) → an object; later duplicates win. Non-list input → {}. */
export function flattenKeyValues(list: unknown, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list) {
    if (kv === null || typeof kv !== "object") continue;
    const key = (kv as { key?: unknown }).key;
    if (typeof key !== "string" || key.length === 0) continue;
    let flat: unknown;
    try {
      flat = flattenAnyValue((kv as { value?: unknown }).value, depth);
    } catch (error) {
      // the innermost key names the value; an outer one would only repeat the path's start
      if (error instanceof TypeError && !error.message.startsWith('"'))
        error.message = `"${clip(key)}": ${error.message}`;
      throw error;
    }
    setOwn(out, key, flat);
  }
  return out;
}

/** A double: a finite number as is; NaN and ±Infinity (protobuf, or proto3 JSON's strings) by name. */
function doubleValue(value: unknown): number | string {
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (value === "NaN" || value === "Infinity" || value === "-Infinity") return value;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new TypeError(`not a double: ${clip(String(value))}`);
  return n;
}

const MAX_DEPTH = 32;

function pick(v: Record<string, unknown>, camel: string, snake: string): unknown {
  return v[camel] ?? v[snake];
}

function int64(value: unknown): number | string {
  if (typeof value === "number") return Math.trunc(value);
  const text = String(value);
  if (!/^-?\d{1,20}$/.test(text)) return text;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}
