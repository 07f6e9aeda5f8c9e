// Answers and metrics a user review found wrong, against a real server: /api/stats with a bucket
// in bare milliseconds, one 413 message for plain and compressed bodies, invalid entries in
// batchlog_entries_rejected_total, and live-tail streams in batchlog_http_responses_total.
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSse } from "./helpers/sse.js";
import { eventually, postJson, request, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer({ BATCHLOG_BODY_LIMIT: "1kb" });
  base = server.url;
});
afterAll(() => server.dispose());

/** The value of one series (name with its labels, as printed) in the /metrics text. */
async function metric(series: string): Promise<number | undefined> {
  const { text } = await request(base, "/metrics");
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(" ").pop());
}

describe("GET /api/stats?bucket=", () => {
  it("Should read a bare number as milliseconds, like every other duration", async () => {
    const now = Date.now();
    const res = await request<{ bucketMs: number; buckets: unknown[] }>(
      base,
      `/api/stats?from=${now - 3_600_000}&to=${now}&bucket=60000`,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.bucketMs).toBe(60_000);
    expect(res.body.buckets.length).toBeGreaterThanOrEqual(60);
    expect((await request(base, "/api/stats?bucket=0")).status).toBe(400);
  });
});

describe("413", () => {
  it("Should answer a body over the limit with the same message, plain or compressed", async () => {
    const big = JSON.stringify({ message: "x".repeat(2048) });
    const expected = {
      error: "request body larger than 1024 bytes (after decompression)",
      code: "BATCHLOG_PAYLOAD_TOO_LARGE",
    };
    const compressed = gzipSync(big);
    expect(compressed.length).toBeLessThan(1024);
    const json = { "content-type": "application/json" };
    const cases: [string, Record<string, string>, string | Buffer][] = [
      ["/api/logs", json, big],
      ["/api/logs", { ...json, "content-encoding": "gzip" }, compressed],
      ["/loki/api/v1/push", json, big],
    ];
    for (const [path, headers, body] of cases) {
      const res = await request(base, path, { method: "POST", headers, body });
      expect(res.status, path).toBe(413);
      expect(res.body, path).toEqual(expected);
    }
  });
});

describe("ingest metrics", () => {
  it("Should count entries refused as invalid under reason=validation, and say what the status counter counts", async () => {
    const res = await postJson(base, "/api/logs", [
      { message: "kept" },
      { message: "bad level", level: "loud" },
      { message: "kept too" },
      { level: "info" },
    ]);
    expect(res.status).toBe(400);
    const otlp = await postJson(base, "/v1/logs", {
      resourceLogs: [
        { scopeLogs: [{ logRecords: [{ body: { stringValue: "ok" } }, { timeUnixNano: "soon" }] }] },
      ],
    });
    expect(otlp.status).toBe(200);
    expect(await metric('batchlog_entries_rejected_total{reason="validation"}')).toBe(3);
    expect(await metric('batchlog_ingest_entries_total{route="/api/logs",status="400"}')).toBe(4);
    const { text } = await request(base, "/metrics");
    expect(text).toContain(
      "# HELP batchlog_ingest_entries_total Items of ingest requests answered item by item (not those refused whole",
    );
    expect(text).toMatch(
      /# HELP batchlog_entries_rejected_total .*validation = invalid items of ingest requests/,
    );
  });
});

describe("live-tail responses", () => {
  it("Should count a tail stream in batchlog_http_responses_total once it has started, and only once", async () => {
    const series = 'batchlog_http_responses_total{route="/api/logs/tail",method="GET",status="200"}';
    expect(await metric(series)).toBeUndefined();
    const stream = await openSse(`${base}/api/logs/tail`);
    expect(stream.status).toBe(200);
    expect(await metric(series)).toBe(1);
    stream.close();
    await eventually(async () => ((await metric("batchlog_tail_subscribers")) === 0 ? true : undefined));
    expect(await metric(series)).toBe(1);
  });

  it("Should not count a tail stream again when the server ends it", async () => {
    const other = await startTestServer();
    try {
      const stream = await openSse(`${other.url}/api/logs/tail`);
      expect(stream.status).toBe(200);
      await other.fastify.close(); // ends the stream from the server side: its response finishes
      await stream.ended;
      const text = await other.metrics.render();
      expect(text).toContain(
        'batchlog_http_responses_total{route="/api/logs/tail",method="GET",status="200"} 1\n',
      );
    } finally {
      await other.dispose();
    }
  });
});
