// Status codes of the Loki push and OTLP/HTTP routes, with exact bodies (the real clients are in
// real-clients.test.ts).
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeRpcStatus, lokiPushProto, lokiPushSnappy, otlpLogsProto } from "./helpers/protobuf.js";
import { postJson, request, search, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
let base: string;
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const record = (body: string, severityNumber = 9) => ({
  timeUnixNano: ns(Date.now()),
  severityNumber,
  body: { stringValue: body },
});
const request1 = (service: string, records: unknown[]) => ({
  resourceLogs: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
      scopeLogs: [{ logRecords: records }],
    },
  ],
});

beforeAll(async () => {
  server = await startTestServer({ BATCHLOG_BODY_LIMIT: "64kb" });
  base = server.url;
});
afterAll(() => server.dispose());

describe("POST /loki/api/v1/push", () => {
  it("Should answer 204 to a JSON push and map labels, level and structured metadata", async () => {
    const t = Date.now() - 5000;
    const res = await postJson(base, "/loki/api/v1/push", {
      streams: [
        {
          stream: { service_name: "loki-json", level: "warning", env: "prod" },
          values: [
            [ns(t), "first line"],
            [ns(t + 1), "second line", { trace_id: "abc123" }],
          ],
        },
      ],
    });
    expect(res.status).toBe(204);
    const entries = await search(base, { source: "loki-json" });
    expect(entries.map((e) => e.message)).toEqual(["second line", "first line"]);
    expect(entries[0]).toMatchObject({ level: "warn", fields: { env: "prod", trace_id: "abc123" } });
    expect(Date.parse(entries[1]!.timestamp)).toBe(t);
  });

  it("Should answer 204 to a snappy protobuf push without Content-Encoding, and to gzip JSON", async () => {
    const t = Date.now() - 1000;
    const proto = await request(base, "/loki/api/v1/push", {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: lokiPushSnappy([
        { labels: '{app="loki-proto", level="error"}', entries: [{ ms: t, line: "proto line" }] },
      ]),
    });
    expect(proto.status).toBe(204);
    expect((await search(base, { source: "loki-proto" }))[0]).toMatchObject({
      level: "error",
      message: "proto line",
    });
    const gz = await request(base, "/loki/api/v1/push", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipSync(
        JSON.stringify({ streams: [{ stream: { app: "loki-gzip" }, values: [[ns(t), "gz line"]] }] }),
      ),
    });
    expect(gz.status).toBe(204);
    expect((await search(base, { source: "loki-gzip" }))[0]?.message).toBe("gz line");
  });

  it("Should answer 400 to a malformed push, and store the good lines of a partly bad one", async () => {
    expect((await postJson(base, "/loki/api/v1/push", { streams: "nope" })).status).toBe(400);
    const garbage = await request(base, "/loki/api/v1/push", {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: Buffer.from([0xff, 0x01, 0x02, 0x03, 0x04]),
    });
    expect(garbage.status).toBe(400);
    const truncated = lokiPushProto([{ labels: '{app="x"}', entries: [{ ms: Date.now(), line: "cut" }] }]);
    const cut = await request(base, "/loki/api/v1/push", {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: truncated.subarray(0, truncated.length - 3),
    });
    expect(cut.status).toBe(400);
    const partial = await postJson(base, "/loki/api/v1/push", {
      streams: [
        {
          stream: { app: "loki-partial" },
          values: [
            [ns(Date.now()), "good"],
            ["not-a-timestamp", "bad"],
          ],
        },
      ],
    });
    expect(partial.status).toBe(400);
    expect((await search(base, { source: "loki-partial" })).map((e) => e.message)).toEqual(["good"]);
  });

  it("Should answer 413 over the limit (also once decompressed) and 415 to an unknown type or encoding", async () => {
    const huge = { streams: [{ stream: { app: "big" }, values: [[ns(Date.now()), "x".repeat(70_000)]] }] };
    expect((await postJson(base, "/loki/api/v1/push", huge)).status).toBe(413);
    const bomb = await request(base, "/loki/api/v1/push", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)),
    });
    expect(bomb.status).toBe(413);
    const text = await request(base, "/loki/api/v1/push", {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: "a,b",
    });
    expect(text.status).toBe(415);
    const enc = await request(base, "/loki/api/v1/push", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "compress" },
      body: "{}",
    });
    expect(enc.status).toBe(415);
  });
});

describe("POST /v1/logs", () => {
  it("Should answer 200 with partialSuccess unset (`{}`) when every record is stored", async () => {
    const res = await postJson(base, "/v1/logs", request1("otlp-json", [record("one"), record("two", 17)]));
    expect(res.status).toBe(200);
    expect(res.text).toBe("{}");
    const entries = await search(base, { source: "otlp-json" });
    expect(entries.map((e) => [e.message, e.level]).sort()).toEqual([
      ["one", "info"],
      ["two", "error"],
    ]);
  });

  it("Should report rejected records in partialSuccess (200) and store the others", async () => {
    const res = await postJson(
      base,
      "/v1/logs",
      request1("otlp-partial", [record("fine"), { ...record("bad"), timeUnixNano: "soon" }]),
    );
    expect(res.status).toBe(200);
    // int64 as a decimal string, as the proto3 JSON mapping writes it
    expect(res.body).toMatchObject({ partialSuccess: { rejectedLogRecords: "1" } });
    expect((await search(base, { source: "otlp-partial" })).map((e) => e.message)).toEqual(["fine"]);
  });

  it("Should answer a protobuf request with a protobuf 200", async () => {
    const res = await fetch(`${base}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: otlpLogsProto("otlp-proto", [{ ms: Date.now(), severityNumber: 13, body: "proto record" }]),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    expect((await search(base, { source: "otlp-proto" }))[0]).toMatchObject({
      level: "warn",
      message: "proto record",
    });
  });

  it("Should answer 400 to malformed bodies, 413 too large, 415 unknown encoding", async () => {
    expect((await postJson(base, "/v1/logs", { resourceLogs: 5 })).status).toBe(400);
    const proto = otlpLogsProto("x", [{ ms: Date.now(), severityNumber: 9, body: "cut" }]);
    const cut = await request(base, "/v1/logs", {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: proto.subarray(0, proto.length - 4),
    });
    expect(cut.status).toBe(400);
    const badGzip = await request(base, "/v1/logs", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: Buffer.from("definitely not gzip"),
    });
    expect(badGzip.status).toBe(400);
    expect((await postJson(base, "/v1/logs", request1("big", [record("y".repeat(70_000))]))).status).toBe(
      413,
    );
    const enc = await request(base, "/v1/logs", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "lz4" },
      body: "{}",
    });
    expect(enc.status).toBe(415);
  });
});

describe("POST /v1/logs failures", () => {
  const postProto = async (body: Buffer) => {
    const res = await fetch(`${base}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body,
    });
    return {
      status: res.status,
      contentType: res.headers.get("content-type"),
      status_: decodeRpcStatus(new Uint8Array(await res.arrayBuffer())),
    };
  };
  const errorInfo = (reason: string) => ({
    typeUrl: "type.googleapis.com/google.rpc.ErrorInfo",
    reason,
    domain: "batchlog",
  });

  it("Should answer a protobuf request's failures with a protobuf google.rpc.Status", async () => {
    const proto = otlpLogsProto("x", [{ ms: Date.now(), severityNumber: 9, body: "cut" }]);
    const cut = await postProto(proto.subarray(0, proto.length - 4));
    expect(cut).toEqual({
      status: 400,
      contentType: "application/x-protobuf",
      status_: {
        code: 3,
        message: "body is not a valid protobuf ExportLogsServiceRequest",
        details: [errorInfo("BATCHLOG_BAD_REQUEST")],
      },
    });
    // Refused by the body limit before the handler runs: the same form.
    const big = await postProto(
      otlpLogsProto("x", [{ ms: Date.now(), severityNumber: 9, body: "z".repeat(70_000) }]),
    );
    expect(big).toMatchObject({
      status: 413,
      contentType: "application/x-protobuf",
      status_: { code: 3, details: [errorInfo("BATCHLOG_PAYLOAD_TOO_LARGE")] },
    });
    expect(big.status_.message).toMatch(/larger than/);
  });

  it("Should answer a JSON request's failures with a JSON google.rpc.Status", async () => {
    const res = await postJson(base, "/v1/logs", { resourceLogs: 5 });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.body).toEqual({
      code: 3,
      message: "resourceLogs must be an array of objects",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "BATCHLOG_BAD_REQUEST",
          domain: "batchlog",
        },
      ],
    });
  });
});

describe("adapters under a full queue", () => {
  it("Should answer 429 with Retry-After to Loki and OTLP pushes when the queue is full", async () => {
    const tiny = await startTestServer({
      BATCHLOG_QUEUE_CAPACITY: "5",
      BATCHLOG_MAX_BATCH_SIZE: "5",
      BATCHLOG_MAX_BATCH_DELAY_MS: "20",
    });
    try {
      const values = Array.from({ length: 3 }, (_, i) => [ns(Date.now()), `line ${i}`]);
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0
            ? postJson(tiny.url, "/loki/api/v1/push", { streams: [{ stream: { app: "tiny" }, values }] })
            : postJson(tiny.url, "/v1/logs", request1("tiny", [record("a"), record("b"), record("c")])),
        ),
      );
      const limited = answers.filter((a) => a.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      for (const a of limited) expect(Number(a.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // OTLP answers (odd indexes) carry a JSON google.rpc.Status: RESOURCE_EXHAUSTED.
      const otlpLimited = answers.filter((a, i) => i % 2 === 1 && a.status === 429);
      expect(otlpLimited.length).toBeGreaterThan(0);
      for (const a of otlpLimited) expect(a.body).toMatchObject({ code: 8, message: expect.any(String) });
      expect(answers.every((a) => [200, 204, 429].includes(a.status))).toBe(true);
    } finally {
      await tiny.dispose();
    }
  });
});
