// Property test: malformed bodies and query parameters at every ingest and query route get a 4xx
// (or a 2xx when the random input happens to be valid), never a 5xx; the server stays up, and good
// entries sent alongside are all stored.
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lokiPushProto, lokiPushSnappy, otlpLogsProto } from "./helpers/protobuf.js";
import { postJson, request, search, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
let base: string;
const goodIds: number[] = [];
let sent = 0;

beforeAll(async () => {
  server = await startTestServer({ BATCHLOG_BODY_LIMIT: "256kb" });
  base = server.url;
});
afterAll(() => server.dispose());

const RUNS = 260;

/** Bytes that are not valid UTF-8. */
const invalidUtf8 = fc
  .tuple(
    fc.string(),
    fc.constantFrom([0xc3, 0x28], [0xe2, 0x82], [0xff], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]),
    fc.string(),
  )
  .map(([a, bad, b]) =>
    Buffer.concat([Buffer.from(`{"message":"${a}`), Buffer.from(bad), Buffer.from(`${b}"}`)]),
  );
const deepNesting = fc
  .integer({ min: 100, max: 20_000 })
  .map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`);
const deepObject = fc.integer({ min: 50, max: 5000 }).map((depth) => {
  let fields = "1";
  for (let i = 0; i < depth; i++) fields = `{"a":${fields}}`;
  return JSON.stringify({ message: "deep" }).replace("}", `,"fields":${fields}}`);
});
const hugeString = fc
  .integer({ min: 60_000, max: 300_000 })
  .map((n) => JSON.stringify({ message: "m".repeat(n) }));
const wrongTypes = fc.record(
  {
    message: fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string()),
      fc.object(),
    ),
    level: fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.constantFrom("info", "WARN", "loud", ""),
    ),
    source: fc.oneof(fc.string({ maxLength: 400 }), fc.integer(), fc.constant(""), fc.constant(null)),
    timestamp: fc.oneof(fc.string(), fc.double(), fc.integer(), fc.constant(-1), fc.constant("9999-99-99")),
    fields: fc.oneof(fc.object(), fc.array(fc.anything()), fc.string(), fc.constant(null)),
  },
  { requiredKeys: [] },
);
const randomBytes = fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b));
const badGzip = fc.oneof(
  randomBytes,
  fc.string().map((s) => gzipSync(s).subarray(0, Math.max(1, Math.floor(s.length / 2)))),
);

interface Attempt {
  body: Buffer | string;
  contentType?: string;
  contentEncoding?: string;
}

const jsonText = (value: unknown) => JSON.stringify(value) ?? "null";

const nativeBodies: fc.Arbitrary<Attempt> = fc.oneof(
  fc.anything().map((v) => ({ body: jsonText(v), contentType: "application/json" })),
  fc
    .array(wrongTypes, { maxLength: 20 })
    .map((v) => ({ body: JSON.stringify(v), contentType: "application/json" })),
  wrongTypes.map((v) => ({ body: JSON.stringify(v), contentType: "application/x-ndjson" })),
  fc
    .array(fc.string(), { maxLength: 10 })
    .map((lines) => ({ body: lines.join("\n"), contentType: "application/x-ndjson" })),
  invalidUtf8.map((body) => ({ body, contentType: "application/json" })),
  deepNesting.map((body) => ({ body, contentType: "application/json" })),
  deepObject.map((body) => ({ body, contentType: "application/json" })),
  hugeString.map((body) => ({ body, contentType: "application/json" })),
  badGzip.map((body) => ({ body, contentType: "application/json", contentEncoding: "gzip" })),
  randomBytes.map((body) => ({ body, contentType: "application/octet-stream" })),
  fc.string().map((body) => ({ body, contentType: "application/json", contentEncoding: "snappy" })),
);

const lokiBodies: fc.Arbitrary<Attempt> = fc.oneof(
  fc.anything().map((v) => ({ body: jsonText(v), contentType: "application/json" })),
  fc
    .record({
      stream: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.anything()),
      values: fc.oneof(fc.array(fc.anything()), fc.anything()),
    })
    .map((s) => ({ body: JSON.stringify({ streams: [s] }), contentType: "application/json" })),
  fc
    .array(fc.tuple(fc.oneof(fc.string(), fc.integer()), fc.oneof(fc.string(), fc.integer())), {
      maxLength: 5,
    })
    .map((values) => ({
      body: JSON.stringify({ streams: [{ stream: { app: "fuzz" }, values }] }),
      contentType: "application/json",
    })),
  randomBytes.map((body) => ({ body, contentType: "application/x-protobuf" })),
  fc.tuple(fc.string(), fc.string(), fc.nat()).map(([labels, line, cut]) => {
    const proto = lokiPushProto([{ labels, entries: [{ ms: Date.now(), line }] }]);
    return { body: proto.subarray(0, cut % proto.length), contentType: "application/x-protobuf" };
  }),
  fc.tuple(fc.string(), fc.nat()).map(([line, cut]) => {
    const snappy = lokiPushSnappy([{ labels: '{app="fuzz"}', entries: [{ ms: Date.now(), line }] }]);
    return { body: snappy.subarray(0, cut % snappy.length), contentType: "application/x-protobuf" };
  }),
  invalidUtf8.map((body) => ({ body, contentType: "application/json" })),
  deepNesting.map((body) => ({ body, contentType: "application/json" })),
  badGzip.map((body) => ({ body, contentType: "application/json", contentEncoding: "gzip" })),
);

const otlpBodies: fc.Arbitrary<Attempt> = fc.oneof(
  fc.anything().map((v) => ({ body: jsonText(v), contentType: "application/json" })),
  fc
    .record(
      {
        timeUnixNano: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.bigInt().map(String)),
        severityNumber: fc.oneof(fc.integer(), fc.string(), fc.double()),
        severityText: fc.anything(),
        body: fc.oneof(
          fc.anything(),
          fc.record({ stringValue: fc.anything() }),
          fc.record({ kvlistValue: fc.anything() }),
        ),
        attributes: fc.oneof(
          fc.anything(),
          fc.array(fc.record({ key: fc.anything(), value: fc.anything() })),
        ),
      },
      { requiredKeys: [] },
    )
    .map((r) => ({
      body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [r] }] }] }),
      contentType: "application/json",
    })),
  randomBytes.map((body) => ({ body, contentType: "application/x-protobuf" })),
  fc.tuple(fc.string(), fc.integer({ min: 0, max: 30 }), fc.nat()).map(([text, severityNumber, cut]) => {
    const proto = otlpLogsProto("fuzz", [{ ms: Date.now(), severityNumber, body: text }]);
    return { body: proto.subarray(0, cut % proto.length), contentType: "application/x-protobuf" };
  }),
  invalidUtf8.map((body) => ({ body, contentType: "application/json" })),
  deepNesting.map((body) => ({ body, contentType: "application/json" })),
  badGzip.map((body) => ({ body, contentType: "application/x-protobuf", contentEncoding: "gzip" })),
);

const ftsNasty = fc.constantFrom(
  '"unterminated',
  "AND OR",
  "NOT",
  "*",
  "a AND",
  "(a OR",
  "NEAR(a b",
  "message:x",
  "^a",
  '""',
  "a - b",
  "\u0000",
  "col:",
  "a:b:c",
  "{a b}",
);
const paramValue = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  ftsNasty,
  fc.integer().map(String),
  fc.constant(""),
);
const paramName = fc.constantFrom(
  "q",
  "level",
  "minLevel",
  "source",
  "from",
  "to",
  "limit",
  "cursor",
  "field.a",
  "field.",
  "bucket",
  "wait",
);
const queryString = fc
  .array(fc.tuple(paramName, paramValue), { minLength: 1, maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"));

async function send(path: string, attempt: Attempt) {
  const headers: Record<string, string> = {};
  if (attempt.contentType !== undefined) headers["content-type"] = attempt.contentType;
  if (attempt.contentEncoding !== undefined) headers["content-encoding"] = attempt.contentEncoding;
  sent++;
  return request(base, path, { method: "POST", headers, body: attempt.body });
}

/** Sends a good entry alongside, every few runs, and records its id. */
async function alongside(run: number) {
  if (run % 5 !== 0) return;
  const res = await postJson(base, "/api/logs", { source: "fuzz-good", message: `good ${run}` });
  expect(res.status).toBe(201);
  goodIds.push(...(res.body.ids as number[]));
}

const expectNo5xx = (status: number, what: string) => {
  expect(status, what).toBeLessThan(500);
  expect(status, what).toBeGreaterThanOrEqual(200);
};

describe("malformed input", () => {
  for (const [path, bodies] of [
    ["/api/logs", nativeBodies],
    ["/loki/api/v1/push", lokiBodies],
    ["/v1/logs", otlpBodies],
  ] as const) {
    it(`Should answer ${path} with 2xx/4xx only for ${RUNS} random malformed bodies`, async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(bodies, async (attempt) => {
          const [res] = await Promise.all([send(path, attempt), alongside(run++)]);
          expectNo5xx(
            res.status,
            `${path} ${attempt.contentType} ${attempt.contentEncoding ?? ""}: ${res.text.slice(0, 200)}`,
          );
        }),
        { numRuns: RUNS },
      );
    });
  }

  it(`Should answer the query routes with 200/400 only for ${RUNS} random parameter sets`, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        queryString,
        fc.constantFrom("/api/logs", "/api/logs/recent", "/api/stats"),
        async (query, path) => {
          sent++;
          const [res] = await Promise.all([request(base, `${path}?${query}`), alongside(run++)]);
          expect([200, 400], `${path}?${query}: ${res.text.slice(0, 200)}`).toContain(res.status);
        },
      ),
      { numRuns: RUNS },
    );
    // The tail's filter parsing shares the same code; a bad filter is refused before streaming.
    for (const q of ['"unterminated', "AND OR"]) {
      const tail = await fetch(`${base}/api/logs/tail?level=${encodeURIComponent(q)}`);
      expect(tail.status).toBe(400);
      await tail.body?.cancel();
    }
  });

  it("Should still be up, with every good entry sent alongside stored", async () => {
    expect(sent).toBeGreaterThanOrEqual(1000);
    expect((await request(base, "/healthz")).status).toBe(200);
    expect((await request(base, "/readyz")).status).toBe(200);
    const stored = new Set((await search(base, { source: "fuzz-good", limit: "1000" })).map((e) => e.id));
    expect(goodIds.length).toBeGreaterThan(150);
    for (const id of goodIds) expect(stored.has(id)).toBe(true);
  });
});
