import zlib from "node:zlib";
import snappy from "snappyjs";
import { describe, expect, it } from "vitest";
import { maskedCrc32c } from "../src/framed-snappy.js";
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

  /** The snappy framing format, built here chunk by chunk: ["c"ompressed or "u"ncompressed, data]. */
  function framed(chunks: ["c" | "u" | "pad", Buffer][]): Buffer {
    const out: Buffer[] = [Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59])];
    for (const [kind, data] of chunks) {
      const body =
        kind === "pad"
          ? data
          : Buffer.concat([crcOf(data), kind === "c" ? Buffer.from(snappy.compress(data)) : data]);
      const header = Buffer.alloc(4);
      header[0] = kind === "c" ? 0x00 : kind === "u" ? 0x01 : 0xfe;
      header.writeUIntLE(body.length, 1, 3);
      out.push(header, body);
    }
    return Buffer.concat(out);
  }
  const crcOf = (data: Buffer) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(maskedCrc32c(data));
    return b;
  };

  it("computes CRC-32C as the framing format masks it", () => {
    // the standard check value of CRC-32C is 0xe3069283; the mask is the format's own formula
    const crc = 0xe3069283;
    expect(maskedCrc32c(Buffer.from("123456789"))).toBe((((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0);
  });

  it("undoes framed snappy (the OpenTelemetry Collector's `snappy`): compressed, uncompressed and padding chunks", async () => {
    const big = Buffer.from("framed ".repeat(20_000)); // past one chunk's 64 KiB
    const parts = [big.subarray(0, 65_536), big.subarray(65_536, 100_000), big.subarray(100_000)];
    const body = framed([
      ["c", parts[0] as Buffer],
      ["pad", Buffer.alloc(9)],
      ["u", parts[1] as Buffer],
      ["c", parts[2] as Buffer],
    ]);
    const decoded = await decodeBody(body, { contentEncoding: "snappy", maxBytes: MAX });
    expect(decoded.equals(big)).toBe(true);
    await expect(decodeBody(body, { contentEncoding: "snappy", maxBytes: 100_000 })).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
  });

  it("answers 400 for framed snappy with a wrong checksum, a cut chunk or a reserved chunk type", async () => {
    const good = framed([["c", text]]);
    const badCrc = Buffer.from(good);
    badCrc.writeUInt32LE((badCrc.readUInt32LE(14) + 1) >>> 0, 14);
    const reserved = Buffer.concat([good, Buffer.from([0x02, 0x01, 0x00, 0x00, 0x00])]);
    for (const [body, reason] of [
      [badCrc, /checksum does not match/],
      [good.subarray(0, good.length - 2), /cut short/],
      [reserved, /unknown chunk type 0x2/],
    ] as const) {
      const error = await decodeBody(body, { contentEncoding: "snappy", maxBytes: MAX }).catch((e) => e);
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.message).toMatch(reason);
    }
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
