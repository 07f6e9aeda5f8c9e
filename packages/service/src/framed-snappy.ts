import { uncompress } from "snappy";
import { BadRequestError, PayloadTooLargeError } from "./errors.js";

/** The stream identifier chunk every framed snappy stream starts with: type 0xff, length 6, "sNaPpY". */
const STREAM_IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
/** A chunk's data holds at most 65,536 bytes once uncompressed (the format's own bound). */
const MAX_CHUNK_DATA = 65_536;

/** Whether `data` is the framed snappy format (the OpenTelemetry Collector's `snappy`), not a raw block. */
export function isFramedSnappy(data: Buffer): boolean {
  return (
    data.length >= STREAM_IDENTIFIER.length &&
    data.subarray(0, STREAM_IDENTIFIER.length).equals(STREAM_IDENTIFIER)
  );
}

/**
 * Decodes the snappy framing format (github.com/google/snappy/blob/main/framing_format.txt):
 * chunks of compressed or uncompressed data, each with a masked CRC-32C of its uncompressed bytes,
 * which is checked. Stops at `maxBytes` of output before decompressing the chunk that would pass it.
 */
export async function framedSnappyUncompress(data: Buffer, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  let at = 0;
  while (at < data.length) {
    if (at + 4 > data.length) throw corrupt("a chunk header is cut short");
    const type = data[at] as number;
    const length = data.readUIntLE(at + 1, 3);
    const start = at + 4;
    const end = start + length;
    if (end > data.length) throw corrupt("a chunk is cut short");
    at = end;
    if (type === 0xff) {
      if (!data.subarray(start - 4, end).equals(STREAM_IDENTIFIER)) throw corrupt("bad stream identifier");
      continue;
    }
    if (type >= 0x80) continue; // padding and skippable chunks
    if (type > 0x01) throw corrupt(`unknown chunk type 0x${type.toString(16)}`);
    if (length < 4) throw corrupt("a chunk is too short for its checksum");
    const payload = data.subarray(start + 4, end);
    if (type === 0x01 && payload.length > MAX_CHUNK_DATA) throw corrupt("an uncompressed chunk is too long");
    if (total + (type === 0x01 ? payload.length : 0) > maxBytes) throw new PayloadTooLargeError(maxBytes);
    let chunk: Buffer;
    if (type === 0x01) chunk = payload;
    else {
      try {
        chunk = (await uncompress(payload, { asBuffer: true })) as Buffer;
      } catch (error) {
        throw corrupt("a chunk does not decompress", error);
      }
      if (chunk.length > MAX_CHUNK_DATA) throw corrupt("a chunk decompresses past 65,536 bytes");
    }
    if (maskedCrc32c(chunk) !== data.readUInt32LE(start)) throw corrupt("a chunk's checksum does not match");
    total += chunk.length;
    if (total > maxBytes) throw new PayloadTooLargeError(maxBytes);
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

function corrupt(reason: string, cause?: unknown): BadRequestError {
  return new BadRequestError(`body is not valid framed snappy data: ${reason}`, { param: "body", cause });
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli) of `data`, masked as the framing format stores it. */
export function maskedCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  crc = (crc ^ 0xffffffff) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
