/** The essence of a Content-Type header: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const essence = contentType.split(";", 1)[0]?.trim().toLowerCase();
  return essence === undefined || essence.length === 0 ? undefined : essence;
}

export function isJsonMediaType(type: string | undefined): boolean {
  return type === "application/json" || type === "text/json" || (type?.endsWith("+json") ?? false);
}

const NDJSON_TYPES = new Set([
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/x-jsonl",
  "application/jsonlines",
  "application/x-jsonlines",
  "application/json-seq",
]);

export function isNdjsonMediaType(type: string | undefined): boolean {
  return type !== undefined && NDJSON_TYPES.has(type);
}

export function isProtobufMediaType(type: string | undefined): boolean {
  return (
    type === "application/x-protobuf" ||
    type === "application/protobuf" ||
    type === "application/vnd.google.protobuf" ||
    type === "application/octet-stream"
  );
}

/**
 * A body sent without a Content-Type that opens a JSON object (after a byte-order mark, spaces,
 * tabs or CRs): JSON. Not after a line feed: 0x0a is the first byte of every protobuf push
 * (field 1's tag), and the next one, a length, may well be 0x7b.
 */
export function startsLikeJsonObject(body: Uint8Array): boolean {
  let i = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (body[i] === 0x20 || body[i] === 0x0d || body[i] === 0x09) i++;
  return body[i] === 0x7b;
}
