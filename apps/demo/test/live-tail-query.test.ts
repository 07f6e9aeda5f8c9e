// The live tail takes the same `q` as the search, over real HTTP: it rejects what search rejects
// with the same 400 body, and streams exactly the entries the search finds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSse } from "./helpers/sse.js";
import { postJson, request, search, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(() => server.dispose());

/** The tail's answer to `q`: its status, and its JSON body unless it is a stream (then closed). */
async function openTail(q: string): Promise<{ status: number; body?: unknown }> {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/logs/tail?${new URLSearchParams({ q })}`, {
    headers: { accept: "text/event-stream" },
    signal: controller.signal,
  });
  if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
    controller.abort();
    return { status: res.status };
  }
  return { status: res.status, body: await res.json() };
}

const QUERIES = [
  // rejected by search before this fix and accepted by the tail
  '"bad',
  "AND",
  "a:b",
  "*",
  "-x",
  // more a user may type
  "order-1",
  "order-1*",
  "api.example.com",
  "user:42",
  "pay",
  "pay*",
  "pay *",
  '"disk full"',
  '"disk full"*',
  "disk NOT full",
  "NOT disk",
  "(disk OR cpu) NOT full",
  "(disk) full",
  "disk OR",
  "NEAR(disk full, 2)",
  "NEAR(disk full, x)",
  "f(x)",
  '""',
  "-",
];

describe("GET /api/logs/tail?q=", () => {
  it.each(QUERIES)("Should answer %j as GET /api/logs does", async (q) => {
    const searched = await request(base, `/api/logs?${new URLSearchParams({ q })}`);
    const tailed = await openTail(q);
    expect(tailed.status).toBe(searched.status);
    if (searched.status === 200) return;
    expect(searched.status).toBe(400);
    expect(tailed.body).toEqual(searched.body);
    expect(tailed.body).toMatchObject({ code: "BATCHLOG_BAD_REQUEST" });
  });

  it("Should reject the review's examples with a 400 naming q", async () => {
    for (const q of ['"bad', "AND", "*"]) {
      const tailed = await openTail(q);
      expect(tailed.status, q).toBe(400);
      expect((tailed.body as { error: string }).error, q).toMatch(/^q: /);
    }
  });

  it("Should stream exactly the entries the search finds", async () => {
    const source = "tail-q";
    const messages = [
      "paymentservice restarted",
      "repay loan",
      "pay invoice 7",
      "PAY day",
      "order-1 shipped",
      "Order 1 late",
      "order 12 shipped",
      "a:b c",
      "user:42 logged in from api.example.com",
      "disk almost full",
      "DISK FULL alarm",
      "Café au lait",
    ];
    const queries = ["pay", "pay*", "order-1", "a:b", "user:42", '"disk full"', "disk NOT almost", "cafe"];
    const streams = await Promise.all(
      queries.map((q) => openSse(`${base}/api/logs/tail?${new URLSearchParams({ q, source })}`)),
    );
    try {
      for (const stream of streams) expect(stream.status).toBe(200);
      const posted = await postJson(
        base,
        "/api/logs",
        messages.map((message) => ({ source, message })),
      );
      expect(posted.status).toBe(201);
      for (const [i, q] of queries.entries()) {
        const stream = streams[i]!;
        const found = (await search(base, { q, source })).map((e) => e.message).sort();
        expect(found.length, q).toBeGreaterThan(0);
        await stream.waitFor((events) => events.length >= found.length);
        await new Promise((r) => setTimeout(r, 100)); // and nothing more arrives
        const streamed = stream.events.map((e) => JSON.parse(e.data).message as string).sort();
        expect(streamed, q).toEqual(found);
      }
      expect((await search(base, { q: "pay", source })).map((e) => e.message)).toEqual([
        "PAY day",
        "pay invoice 7",
      ]);
    } finally {
      for (const stream of streams) stream.close();
    }
  });
});
