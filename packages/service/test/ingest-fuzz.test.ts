import zlib from "node:zlib";
import fc from "fast-check";
import snappy from "snappyjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpError, type IngestResult } from "../src/index.js";
import { openService, type ServiceFixture } from "./helpers/service.js";

const RUNS = 500;
let fx: ServiceFixture;
beforeAll(async () => {
  fx = await openService("batched", { maxBodyBytes: 256 * 1024 });
});
afterAll(async () => fx.dispose());

/** Only a client error may come out: 400, 413 or 415. */
async function clientErrorOr<T>(run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof HttpError) || ![400, 413, 415].includes(error.statusCode)) {
      throw new Error(`not a client error: ${String(error)}`, { cause: error });
    }
    return undefined;
  }
}

function checkShape(result: IngestResult | undefined) {
  if (result === undefined) return;
  expect(result.ids.filter((id) => id !== null)).toHaveLength(result.accepted);
  for (const e of result.errors) {
    expect(result.ids[e.index]).toBeNull();
    expect(typeof e.error).toBe("string");
  }
}

const junkEntry = fc.oneof(
  fc.anything(),
  fc.record(
    {
      timestamp: fc.oneof(fc.string(), fc.double(), fc.integer(), fc.constant("2026-01-01T00:00:00Z")),
      level: fc.oneof(fc.string(), fc.constantFrom("warn", "WARNING", "crit"), fc.integer()),
      source: fc.oneof(fc.string({ maxLength: 300 }), fc.constant(null)),
      message: fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.integer(), fc.constant("")),
      fields: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.anything()),
    },
    { requiredKeys: [] },
  ),
);

const contentTypes = fc.constantFrom(
  undefined,
  "application/json",
  "application/x-ndjson",
  "text/plain",
  "application/x-protobuf",
  "image/png",
);
const encodings = fc.constantFrom(undefined, "gzip", "deflate", "snappy", "identity", "zstd");

function encodeWith(body: Buffer, encoding: string | undefined, corrupt: boolean): Buffer {
  let out = body;
  if (encoding === "gzip") out = zlib.gzipSync(body);
  else if (encoding === "deflate") out = zlib.deflateSync(body);
  else if (encoding === "snappy") out = Buffer.from(snappy.compress(body));
  return corrupt && out.length > 4 ? out.subarray(0, out.length >> 1) : out;
}

describe("malformed input never yields anything but a result or a 4xx", () => {
  it("native: junk items next to a good one; the good one is stored", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(junkEntry, { maxLength: 8 }), fc.nat(), async (junk, at) => {
        const items = [...junk];
        const pos = at % (items.length + 1);
        items.splice(pos, 0, { message: `good ${at}`, level: "warn" });
        let body: Buffer;
        try {
          body = Buffer.from(JSON.stringify(items));
        } catch {
          return; // BigInt and friends: not JSON
        }
        const result = await fx.service.ingestNative(body, "application/json");
        checkShape(result);
        expect(result.ids[pos]).toEqual(expect.any(Number));
      }),
      { numRuns: RUNS },
    );
  });

  it("native: arbitrary bytes, content types and encodings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
          fc.json().map((s) => Buffer.from(s)),
        ),
        contentTypes,
        encodings,
        fc.boolean(),
        async (raw, type, encoding, corrupt) => {
          const body = encodeWith(raw, encoding, corrupt);
          checkShape(await clientErrorOr(() => fx.service.ingestNative(body, type)));
          if (encoding !== undefined) {
            await clientErrorOr(() =>
              fx.service.ingestLoki(body, { contentType: type, contentEncoding: encoding }),
            );
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("Loki: random JSON and protobuf-ish bodies", async () => {
    const stream = fc.record({
      stream: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.jsonValue())), fc.anything()),
      values: fc.oneof(
        fc.array(
          fc.tuple(fc.oneof(fc.string(), fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String)), fc.string()),
        ),
        fc.array(fc.anything()),
        fc.anything(),
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .record({ streams: fc.array(stream, { maxLength: 4 }) })
            .map((v) => Buffer.from(JSON.stringify(v))),
          fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(snappy.compress(Buffer.from(b)))),
          fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
        ),
        fc.constantFrom("application/json", "application/x-protobuf", undefined),
        async (body, contentType) => {
          checkShape(await clientErrorOr(() => fx.service.ingestLoki(body, { contentType })));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("OTLP: random JSON structures and protobuf bytes", async () => {
    const anyValue = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.record({ stringValue: fc.oneof(fc.string(), fc.anything()) }),
        fc.record({ intValue: fc.oneof(fc.string(), fc.integer(), fc.double()) }),
        fc.record({ boolValue: fc.anything() }),
        fc.record({ arrayValue: fc.record({ values: fc.array(tie("value"), { maxLength: 3 }) }) }),
        fc.record({
          kvlistValue: fc.record({
            values: fc.array(fc.record({ key: fc.anything(), value: tie("value") }), { maxLength: 3 }),
          }),
        }),
        fc.anything(),
      ),
    })).value;
    const record = fc.record(
      {
        timeUnixNano: fc.oneof(fc.string(), fc.bigInt({ min: -1n, max: 2n ** 64n }).map(String), fc.double()),
        severityNumber: fc.oneof(fc.integer({ min: -5, max: 30 }), fc.string()),
        severityText: fc.anything(),
        body: anyValue,
        attributes: fc.oneof(
          fc.array(fc.record({ key: fc.string(), value: anyValue }), { maxLength: 4 }),
          fc.anything(),
        ),
        traceId: fc.oneof(fc.string({ unit: fc.constantFrom(..."0123456789abcdef") }), fc.anything()),
      },
      { requiredKeys: [] },
    );
    const request = fc.record({
      resourceLogs: fc.oneof(
        fc.array(
          fc.record({
            resource: fc.oneof(
              fc.record({ attributes: fc.array(fc.record({ key: fc.string(), value: anyValue })) }),
              fc.anything(),
            ),
            scopeLogs: fc.array(fc.record({ logRecords: fc.array(record, { maxLength: 4 }) }), {
              maxLength: 2,
            }),
          }),
          { maxLength: 2 },
        ),
        fc.anything(),
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          request.map((v) => {
            try {
              return Buffer.from(JSON.stringify(v));
            } catch {
              return Buffer.from("{}");
            }
          }),
          fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
        ),
        fc.constantFrom("application/json", "application/x-protobuf"),
        async (body, contentType) => {
          const result = await clientErrorOr(() => fx.service.ingestOtlp(body, { contentType }));
          checkShape(result);
          if (result)
            expect(Number(result.partialSuccess.rejectedLogRecords ?? 0)).toBe(result.errors.length);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("search, volume and recent: random parameters only ever give a 400", async () => {
    const names = fc.constantFrom(
      "q",
      "level",
      "minLevel",
      "source",
      "from",
      "to",
      "limit",
      "cursor",
      "bucket",
      "field.x",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            names,
            fc.oneof(
              fc.string(),
              fc.string({ unit: "binary" }),
              fc.constantFrom('"', "*", "AND", "NEAR(", "-1", "1e99"),
            ),
          ),
          {
            maxLength: 5,
          },
        ),
        async (pairs) => {
          const params = new URLSearchParams(pairs);
          await clientErrorOr(() => fx.service.search(params));
          await clientErrorOr(() => fx.service.volume(params));
          await clientErrorOr(() => fx.service.recent(params));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
