import { promisify } from "node:util";
import zlib from "node:zlib";
import { uncompress as snappyUncompressAsync } from "snappy";
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "./errors.js";
import { framedSnappyUncompress, isFramedSnappy } from "./framed-snappy.js";

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotliDecompress = promisify(zlib.brotliDecompress);

export interface DecodeBodyOptions {
  /** The request's `Content-Encoding` header; a comma list is undone right to left. */
  contentEncoding?: string | undefined;
  /** Largest body accepted once decompressed. */
  maxBytes: number;
}

/**
 * Undoes the `Content-Encoding` of a request body: `gzip`/`x-gzip`, `deflate` (zlib or raw),
 * `br`, `snappy` (the raw block format Loki clients use, or the framed format the OpenTelemetry
 * Collector sends under the same name, told apart by its stream identifier) and `identity`.
 * The `maxBytes` limit applies to the decompressed size and stops inflation as soon as it is
 * passed, so a compression bomb is never expanded in memory.
 *
 * @throws PayloadTooLargeError when the decoded body would exceed `maxBytes`
 * @throws BadRequestError when the compressed data is corrupt
 * @throws UnsupportedMediaTypeError for an unknown encoding
 */
export async function decodeBody(body: Buffer, opts: DecodeBodyOptions): Promise<Buffer> {
  const codings = (opts.contentEncoding ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c.length > 0 && c !== "identity")
    .reverse();
  let data = body;
  for (const coding of codings) data = await decodeOne(data, coding, opts.maxBytes);
  if (data.length > opts.maxBytes) throw new PayloadTooLargeError(opts.maxBytes);
  return data;
}

async function decodeOne(data: Buffer, coding: string, maxBytes: number): Promise<Buffer> {
  switch (coding) {
    case "gzip":
    case "x-gzip":
      return inflated(() => gunzip(data, { maxOutputLength: maxBytes }), coding, maxBytes);
    case "deflate":
      // RFC 9110 "deflate" is zlib-wrapped, but some clients send raw deflate: accept both.
      return inflated(
        () =>
          inflate(data, { maxOutputLength: maxBytes }).catch((error: unknown) => {
            if (isTooLarge(error)) throw error;
            return inflateRaw(data, { maxOutputLength: maxBytes });
          }),
        coding,
        maxBytes,
      );
    case "br":
      return inflated(() => brotliDecompress(data, { maxOutputLength: maxBytes }), coding, maxBytes);
    case "snappy":
      return isFramedSnappy(data) ? framedSnappyUncompress(data, maxBytes) : snappyUncompress(data, maxBytes);
    default:
      throw new UnsupportedMediaTypeError(
        `unsupported Content-Encoding "${coding.slice(0, 40)}" (gzip, deflate, br, snappy, identity)`,
      );
  }
}

async function inflated(run: () => Promise<Buffer>, coding: string, maxBytes: number): Promise<Buffer> {
  try {
    return await run();
  } catch (error) {
    if (isTooLarge(error)) throw new PayloadTooLargeError(maxBytes);
    throw new BadRequestError(`body is not valid ${coding} data`, { param: "body", cause: error });
  }
}

function isTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ERR_BUFFER_TOO_LARGE";
}

/**
 * Snappy block format: a varint with the uncompressed length, then the compressed elements.
 * The length is checked before anything is allocated; the native decoder (off the main thread)
 * rejects elements that overrun or fall short of it.
 */
export async function snappyUncompress(data: Buffer, maxBytes: number): Promise<Buffer> {
  const length = readVarint(data);
  if (length === undefined) throw new BadRequestError("body is not valid snappy data", { param: "body" });
  if (length > maxBytes) throw new PayloadTooLargeError(maxBytes);
  try {
    return (await snappyUncompressAsync(data, { asBuffer: true })) as Buffer;
  } catch (error) {
    throw new BadRequestError("body is not valid snappy data", { param: "body", cause: error });
  }
}

function readVarint(data: Buffer): number | undefined {
  let result = 0;
  for (let i = 0; i < 5 && i < data.length; i++) {
    const byte = data[i] as number;
    result += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return result;
  }
  return undefined;
}
