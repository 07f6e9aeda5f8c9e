/**
 * OTLP AnyValue → a plain JSON value. Reads the JSON encoding (lowerCamelCase or snake_case keys,
 * int64 as string or number, bytes as base64 strings) and the decoded protobuf form (bytes as
 * Uint8Array, int64 as decimal strings). kvlist → object, array → array, bytes → base64 string,
 * int64 → number when it is a safe integer, else its decimal string; an empty AnyValue → null.
 */
export function flattenAnyValue(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new RangeError(`attribute values nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value !== "object") return null;
  const v = value as Record<string, unknown>;
  const string = pick(v, "stringValue", "string_value");
  if (string !== undefined) return typeof string === "string" ? string : String(string);
  const bool = pick(v, "boolValue", "bool_value");
  if (bool !== undefined) return bool === true || bool === "true";
  const int = pick(v, "intValue", "int_value");
  if (int !== undefined) return int64(int);
  const double = pick(v, "doubleValue", "double_value");
  if (double !== undefined) return typeof double === "number" ? double : Number(double);
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
    out[key] = flattenAnyValue((kv as { value?: unknown }).value, depth);
  }
  return out;
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
