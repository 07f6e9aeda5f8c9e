// BATCHLOG_QUERY_TIMEOUT_MS over HTTP: a search too broad for it is a 504 BATCHLOG_QUERY_TIMEOUT
// near the deadline, and the searches, stats and recent entries asked meanwhile are answered.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, startTestServer, type TestServer } from "./helpers/test-server.js";

const ROWS = 60_000;
const TIMEOUT_MS = 1500;
let server: TestServer;

// 30 `field.KEY` filters every entry matches, then one none does, on keys holding a `"` (each a
// json_each scan of the entry's fields): ~4 s on 60k entries, against a few ms for a page.
const slowParams = new URLSearchParams();
for (let k = 0; k < 30; k++) slowParams.append(`field.c"${k}`, "on");
slowParams.append('field.c"30', "off");
const slowPath = `/api/logs?${slowParams}`;

beforeAll(async () => {
  server = await startTestServer({ BATCHLOG_QUERY_TIMEOUT_MS: String(TIMEOUT_MS) });
  const fields: Record<string, string> = {};
  for (let k = 0; k < 31; k++) fields[`c"${k}`] = "on";
  for (let start = 0; start < ROWS; start += 5000) {
    await server.storage.storeMany(
      Array.from({ length: 5000 }, (_, i) => ({ source: "api", message: `request ${start + i}`, fields })),
    );
  }
  expect((await request(server.url, "/api/logs/recent?limit=1")).status).toBe(200); // a reader is up
}, 120_000);
afterAll(() => server.dispose());

describe("BATCHLOG_QUERY_TIMEOUT_MS", () => {
  it("answers a search past it 504 BATCHLOG_QUERY_TIMEOUT, without Retry-After, while other reads are answered", async () => {
    const started = performance.now();
    let slowDone = false;
    const slow = request<{ error: string; code: string }>(server.url, slowPath).finally(() => {
      slowDone = true;
    });
    const during: { path: string; status: number; beforeSlow: boolean }[] = [];
    for (const path of [
      "/api/logs?limit=100",
      "/api/stats?from=1h&bucket=1m",
      "/api/logs/recent?limit=20",
      "/api/logs?q=request&limit=10",
    ]) {
      const res = await request(server.url, path);
      during.push({ path, status: res.status, beforeSlow: !slowDone });
    }
    const answer = await slow;
    const ms = performance.now() - started;
    expect(answer.status).toBe(504);
    expect(answer.body.code).toBe("BATCHLOG_QUERY_TIMEOUT");
    expect(answer.body.error).toMatch(/within 1500 ms and was stopped: narrow it/);
    expect(answer.headers.get("retry-after")).toBeNull();
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(TIMEOUT_MS + 2500); // ~4 s if it ran to the end
    expect(during).toEqual(during.map((d) => ({ ...d, status: 200, beforeSlow: true })));
    // and the server reads and writes as before
    const stored = await request<{ ids: number[] }>(server.url, "/api/logs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "after the 504" }),
    });
    expect(stored.status).toBe(201);
    const recent = await request<{ entries: { message: string }[] }>(server.url, "/api/logs/recent?limit=1");
    expect(recent.body.entries[0]?.message).toBe("after the 504");
  });

  it("counts the 504 in batchlog_http_responses_total, and times it as a read that timed out", async () => {
    const metrics = await request(server.url, "/metrics");
    expect(metrics.text).toMatch(
      /batchlog_http_responses_total\{route="\/api\/logs",method="GET",status="504"\} [1-9]/,
    );
    // the slow search ran until the timeout stopped it: it lands in the buckets past 1.5 s
    const count = (le: string) => {
      const line = metrics.text
        .split("\n")
        .find(
          (l) =>
            l.startsWith("batchlog_query_duration_seconds_bucket{") &&
            [`le="${le}"`, 'kind="search"', 'outcome="timeout"'].every((label) => l.includes(label)),
        );
      return Number(line?.split(" ")[1]);
    };
    expect(count("+Inf")).toBe(1);
    expect(count("1")).toBe(0);
  });
});
