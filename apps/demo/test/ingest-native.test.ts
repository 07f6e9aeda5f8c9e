import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  postJson,
  request,
  search,
  startTestServer,
  type TestServer,
} from "./helpers/test-server.js";

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer({ BATCHLOG_BODY_LIMIT: "64kb" });
  base = server.url;
});
afterAll(() => server.dispose());

describe("POST /api/logs", () => {
  it("Should store one JSON object and answer 201 with its id after commit", async () => {
    const res = await postJson(base, "/api/logs", {
      level: "WARNING",
      source: "native-one",
      message: "disk almost full",
      fields: { disk: "/var", pct: 93 },
    });
    expect(res.status).toBe(201);
    expect(res.body.ids).toHaveLength(1);
    const [entry] = await search(base, { source: "native-one" });
    expect(entry).toMatchObject({
      id: res.body.ids?.[0],
      level: "warn",
      message: "disk almost full",
      fields: { disk: "/var", pct: 93 },
    });
  });

  it("Should store a JSON array with ids in input order", async () => {
    const res = await postJson(base, "/api/logs", [
      { source: "native-array", message: "first" },
      { source: "native-array", message: "second", level: "error" },
    ]);
    expect(res.status).toBe(201);
    const ids = res.body.ids as number[];
    expect(ids[1]).toBeGreaterThan(ids[0] as number);
    const entries = await search(base, { source: "native-array" });
    expect(entries.map((e) => [e.id, e.message, e.level])).toEqual([
      [ids[1], "second", "error"],
      [ids[0], "first", "info"],
    ]);
  });

  it("Should store NDJSON lines", async () => {
    const body = [
      '{"source":"native-ndjson","message":"a"}',
      '{"source":"native-ndjson","message":"b"}',
      "",
    ].join("\n");
    const res = await request<{ ids: number[] }>(base, "/api/logs", {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body,
    });
    expect(res.status).toBe(201);
    expect(res.body.ids).toHaveLength(2);
    expect((await search(base, { source: "native-ndjson" })).map((e) => e.message).sort()).toEqual([
      "a",
      "b",
    ]);
  });

  it("Should accept a gzip Content-Encoding", async () => {
    const res = await request<{ ids: number[] }>(base, "/api/logs", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipSync(JSON.stringify({ source: "native-gzip", message: "compressed" })),
    });
    expect(res.status).toBe(201);
    expect((await search(base, { source: "native-gzip" }))[0]?.message).toBe("compressed");
  });

  it("Should answer 202 {accepted} with wait=false and store the entries afterwards", async () => {
    const res = await postJson(base, "/api/logs?wait=false", [
      { source: "native-nowait", message: "x" },
      { source: "native-nowait", message: "y" },
    ]);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 2 });
    await eventually(async () =>
      (await search(base, { source: "native-nowait" })).length === 2 ? true : undefined,
    );
  });

  it("Should answer 400 with per-item errors and still store the good items", async () => {
    const res = await postJson(base, "/api/logs", [
      { source: "native-partial", message: "good 1" },
      { source: "native-partial", message: "bad", level: "loud" },
      { source: "native-partial", message: 42 },
      { source: "native-partial", message: "good 2" },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.ids?.[1]).toBeNull();
    expect(res.body.ids?.[2]).toBeNull();
    expect(res.body.errors?.map((e) => e.index)).toEqual([1, 2]);
    expect(res.body.errors?.[0]?.error).toMatch(/level/);
    const stored = await search(base, { source: "native-partial" });
    expect(stored.map((e) => e.id).sort()).toEqual([res.body.ids?.[0], res.body.ids?.[3]].sort());
  });

  it("Should refuse entries stamped more than BATCHLOG_MAX_FUTURE (10m) ahead, counted as too_new", async () => {
    const now = Date.now();
    const res = await postJson(base, "/api/logs", [
      { source: "native-future", message: "an hour ahead", timestamp: now + 3_600_000 },
      { source: "native-future", message: "a minute ahead", timestamp: now + 60_000 },
    ]);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      ids: [null, expect.any(Number)],
      errors: [
        {
          index: 0,
          code: "BATCHLOG_TOO_NEW",
          error: expect.stringMatching(/is (1h|60m) ahead of the server's clock \(at most 10m/),
        },
      ],
    });
    const metrics = (await request(base, "/metrics")).text;
    expect(metrics).toMatch(/batchlog_entries_rejected_total\{reason="too_new"\} [1-9]/);
    expect(metrics).toMatch(
      /batchlog_ingest_rejected_entries_total\{route="\/api\/logs",reason="too_new"\} [1-9]/,
    );
    const off = await startTestServer({ BATCHLOG_MAX_FUTURE: "off" });
    try {
      const taken = await postJson(off.url, "/api/logs", {
        message: "a day ahead",
        timestamp: now + 86_400_000,
      });
      expect(taken.status).toBe(201);
    } finally {
      await off.dispose();
    }
  });

  it("Should answer 400 for malformed JSON, an empty body, a scalar and a bad wait parameter", async () => {
    for (const body of ["{nope", "", "42", '"text"']) {
      const res = await request(base, "/api/logs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(res.status, body).toBe(400);
      expect(res.body).toMatchObject({ code: "BATCHLOG_BAD_REQUEST" });
    }
    expect((await postJson(base, "/api/logs?wait=maybe", { message: "x" })).status).toBe(400);
  });

  it("Should answer 415 for an unsupported Content-Type or Content-Encoding", async () => {
    const xml = await request(base, "/api/logs", {
      method: "POST",
      headers: { "content-type": "application/xml" },
      body: "<log/>",
    });
    expect(xml.status).toBe(415);
    expect(xml.body).toMatchObject({ code: "BATCHLOG_UNSUPPORTED_MEDIA_TYPE" });
    const enc = await request(base, "/api/logs", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "zstd" },
      body: "{}",
    });
    expect(enc.status).toBe(415);
  });

  it("Should answer 413 for a body over the limit, sent whole or chunked", async () => {
    const big = JSON.stringify({ message: "x".repeat(70 * 1024) });
    const whole = await request(base, "/api/logs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(whole.status).toBe(413);
    expect(whole.body).toMatchObject({ code: "BATCHLOG_PAYLOAD_TOO_LARGE" });
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++)
          controller.enqueue(new TextEncoder().encode(big.slice(i * 7500, (i + 1) * 7500)));
        controller.enqueue(new TextEncoder().encode(big.slice(75_000)));
        controller.close();
      },
    });
    const chunked = await request(base, "/api/logs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it("Should answer 413 for a gzip bomb (small on the wire, over the limit once inflated)", async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await request(base, "/api/logs", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: bomb,
    });
    expect(res.status).toBe(413);
    expect((await request(base, "/healthz")).status).toBe(200);
  });
});
