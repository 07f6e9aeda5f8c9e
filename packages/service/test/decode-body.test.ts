import zlib from "node:zlib";
import snappy from "snappyjs";
import { describe, expect, it } from "vitest";
import {
  BadRequestError,
  decodeBody,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from "../src/index.js";

const text = Buffer.from(JSON.stringify({ message: "hello ".repeat(200), level: "info" }));
const MAX = 1024 * 1024;

describe("decodeBody", () => {
  it.each([
    ["gzip", zlib.gzipSync(text)],
    ["x-gzip", zlib.gzipSync(text)],
    ["GZIP", zlib.gzipSync(text)],
    ["deflate", zlib.deflateSync(text)],
    ["br", zlib.brotliCompressSync(text)],
    ["snappy", Buffer.from(snappy.compress(text))],
    ["identity", text],
    [undefined, text],
  ])("undoes Content-Encoding %s", async (encoding, body) => {
    const decoded = await decodeBody(body, { contentEncoding: encoding, maxBytes: MAX });
    expect(decoded.equals(text)).toBe(true);
  });

  it("accepts raw deflate (no zlib header) as some clients send it", async () => {
    const decoded = await decodeBody(zlib.deflateRawSync(text), {
      contentEncoding: "deflate",
      maxBytes: MAX,
    });
    expect(decoded.equals(text)).toBe(true);
  });

  it("undoes a list of codings right to left", async () => {
    const body = zlib.gzipSync(Buffer.from(snappy.compress(text)));
    const decoded = await decodeBody(body, { contentEncoding: "snappy, gzip", maxBytes: MAX });
    expect(decoded.equals(text)).toBe(true);
  });

  it("stops a gzip bomb at maxBytes without inflating it fully", async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(300 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    await expect(decodeBody(bomb, { contentEncoding: "gzip", maxBytes: MAX })).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    // Inflating it fully would take 200 MiB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 * 1024);
  });

  it.each(["deflate", "br"])("enforces maxBytes after %s decompression", async (encoding) => {
    const big = Buffer.alloc(MAX + 1, 0x61);
    const body = encoding === "br" ? zlib.brotliCompressSync(big) : zlib.deflateSync(big);
    await expect(decodeBody(body, { contentEncoding: encoding, maxBytes: MAX })).rejects.toMatchObject({
      statusCode: 413,
      code: "BATCHLOG_PAYLOAD_TOO_LARGE",
    });
  });

  it("checks the snappy length header before allocating", async () => {
    const body = Buffer.from(snappy.compress(Buffer.alloc(MAX + 10, 0x61)));
    await expect(decodeBody(body, { contentEncoding: "snappy", maxBytes: MAX })).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
  });

  it("enforces maxBytes on an identity body", async () => {
    await expect(decodeBody(Buffer.alloc(11), { maxBytes: 10 })).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(decodeBody(Buffer.alloc(10), { maxBytes: 10 })).resolves.toHaveLength(10);
  });

  it.each(["gzip", "deflate", "br", "snappy"])("answers 400 for corrupt %s data", async (encoding) => {
    // 0xff bytes: no gzip magic, a reserved deflate block type, an endless snappy length varint.
    const error = await decodeBody(Buffer.alloc(64, 0xff), {
      contentEncoding: encoding,
      maxBytes: MAX,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.statusCode).toBe(400);
  });

  it("answers 400 for snappy data that overruns or falls short of its stated length", async () => {
    const good = Buffer.from(snappy.compress(text));
    const overrun = Buffer.concat([Buffer.from([0x05]), good.subarray(2)]);
    const short = good.subarray(0, good.length - 3);
    for (const corrupt of [overrun, short]) {
      await expect(decodeBody(corrupt, { contentEncoding: "snappy", maxBytes: MAX })).rejects.toBeInstanceOf(
        BadRequestError,
      );
    }
  });

  it("answers 400 for a truncated gzip stream", async () => {
    const gz = zlib.gzipSync(text);
    await expect(
      decodeBody(gz.subarray(0, gz.length - 12), { contentEncoding: "gzip", maxBytes: MAX }),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it("answers 415 for an unknown encoding", async () => {
    const error = await decodeBody(text, { contentEncoding: "compress", maxBytes: MAX }).catch((e) => e);
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error.statusCode).toBe(415);
  });
});
