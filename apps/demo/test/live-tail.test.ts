import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSse } from "./helpers/sse.js";
import { eventually, postJson, request, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer({ BATCHLOG_TAIL_HEARTBEAT_MS: "100" });
  base = server.url;
});
afterAll(() => server.dispose());

describe("GET /api/logs/tail", () => {
  it("Should stream one event per committed entry, with the entry id, honouring filters", async () => {
    const stream = await openSse(`${base}/api/logs/tail?source=tail-a&minLevel=warn`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const res = await postJson(base, "/api/logs", [
      { source: "tail-a", level: "error", message: "one" },
      { source: "tail-a", level: "info", message: "filtered out by level" },
      { source: "tail-b", level: "error", message: "filtered out by source" },
      { source: "tail-a", level: "warn", message: "two" },
    ]);
    const ids = res.body.ids as number[];
    await stream.waitFor((events) => events.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(stream.events.map((e) => [e.event, e.id, JSON.parse(e.data).message])).toEqual([
      ["message", String(ids[0]), "one"],
      ["message", String(ids[3]), "two"],
    ]);
    expect(JSON.parse(stream.events[0]!.data)).toMatchObject({
      id: ids[0],
      level: "error",
      source: "tail-a",
    });
    stream.close();
  });

  it("Should resume after Last-Event-ID with the entries committed while the client was away, once each", async () => {
    const url = `${base}/api/logs/tail?source=resume&minLevel=warn`;
    const first = await openSse(url);
    const before = await postJson(base, "/api/logs", [
      { source: "resume", level: "warn", message: "seen 1" },
      { source: "resume", level: "error", message: "seen 2" },
    ]);
    await first.waitFor((events) => events.length >= 2);
    const lastSeen = first.events.at(-1)!.id!;
    expect(lastSeen).toBe(String(before.body.ids?.[1]));
    first.close();
    const away = await postJson(base, "/api/logs", [
      { source: "resume", level: "error", message: "missed 1" },
      { source: "resume", level: "info", message: "filtered out" },
      { source: "other", level: "error", message: "filtered out" },
      { source: "resume", level: "fatal", message: "missed 2" },
    ]);
    // what an EventSource sends when it reconnects
    const resumed = await openSse(url, { "last-event-id": lastSeen });
    expect(resumed.status).toBe(200);
    const live = await postJson(base, "/api/logs", [{ source: "resume", level: "warn", message: "live" }]);
    await resumed.waitFor((events) => events.length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(resumed.events.map((e) => [e.id, JSON.parse(e.data).message])).toEqual([
      [String(away.body.ids?.[0]), "missed 1"],
      [String(away.body.ids?.[3]), "missed 2"],
      [String(live.body.ids?.[0]), "live"],
    ]);
    resumed.close();
    const bad = await request(base, "/api/logs/tail", { headers: { "last-event-id": "abc" } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: "BATCHLOG_BAD_REQUEST" });
  });

  it("Should say in the dropped event when a resume's count of the skipped entries stopped at the storage's window", async () => {
    const own = await startTestServer({ BATCHLOG_TAIL_MAX_BUFFERED: "5" }, {}, { skippedCountWindow: 10 });
    try {
      const posted = await postJson(
        own.url,
        "/api/logs",
        Array.from({ length: 30 }, (_, i) => ({ message: `entry ${i}` })),
      );
      const ids = posted.body.ids as number[];
      const resume = async (afterId: number) => {
        const stream = await openSse(`${own.url}/api/logs/tail`, { "last-event-id": String(afterId) });
        await stream.waitFor((events) => events.length >= 6);
        stream.close();
        return stream.events;
      };
      // the 5 newest are replayed; of the 24 older ones only the 10 before them are counted
      const old = await resume(0);
      expect(old[0]).toMatchObject({ event: "dropped" });
      expect(JSON.parse(old[0]!.data)).toEqual({ dropped: 10, atLeast: true });
      expect(old.slice(1).map((e) => e.id)).toEqual(ids.slice(25).map(String));
      // the window reaches the resume point: the figure is exact, and the flag is absent
      const recent = await resume(ids[14]!);
      expect(JSON.parse(recent[0]!.data)).toEqual({ dropped: 10 });
    } finally {
      await own.dispose();
    }
  });

  it("Should send heartbeat comments", async () => {
    const stream = await openSse(`${base}/api/logs/tail`);
    await eventually(
      async () => (stream.comments.filter((c) => c === "heartbeat").length >= 2 ? true : undefined),
      5000,
    );
    stream.close();
  });

  it("Should unsubscribe when the client disconnects", async () => {
    // The streams of the tests above were closed by their clients: they are gone too.
    const count = () => server.service.stats().tailSubscribers;
    await eventually(
      async () => (count() === 0 ? true : undefined),
      5000,
      `earlier streams to go, ${count()} open`,
    );
    const stream = await openSse(`${base}/api/logs/tail`);
    await eventually(async () => (count() === 1 ? true : undefined));
    stream.close();
    await eventually(async () => (count() === 0 ? true : undefined), 5000, "unsubscribe");
  });

  it("Should answer 400 for a bad filter before streaming", async () => {
    const res = await request(base, "/api/logs/tail?level=loud");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "BATCHLOG_BAD_REQUEST" });
  });

  it("Should answer 503 with Retry-After past BATCHLOG_TAIL_MAX_CLIENTS streams", async () => {
    const own = await startTestServer({ BATCHLOG_TAIL_MAX_CLIENTS: "2" });
    try {
      const a = await openSse(`${own.url}/api/logs/tail`);
      const b = await openSse(`${own.url}/api/logs/tail`);
      const refused = await request(own.url, "/api/logs/tail");
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: "BATCHLOG_TAIL_BUSY" });
      expect(refused.headers.get("retry-after")).toBe("10");
      a.close();
      b.close();
    } finally {
      await own.dispose();
    }
  });

  it("Should refuse a stream past the cap before checking its q on the reader thread (retries past the cap cost no query)", async () => {
    const own = await startTestServer({ BATCHLOG_TAIL_MAX_CLIENTS: "1" });
    try {
      const a = await openSse(`${own.url}/api/logs/tail`);
      // FTS5 itself refuses this q, so an answer of 400 would mean the query ran
      const refused = await request(own.url, `/api/logs/tail?q=${encodeURIComponent("pay AND")}`);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: "BATCHLOG_TAIL_BUSY" });
      a.close();
    } finally {
      await own.dispose();
    }
  });

  it("Should count resuming streams against BATCHLOG_TAIL_MAX_CLIENTS while their history is read", async () => {
    const own = await startTestServer({ BATCHLOG_TAIL_MAX_CLIENTS: "2" });
    try {
      await postJson(own.url, "/api/logs", [{ message: "history" }]);
      // a burst of EventSources reconnecting at once, as after a network blip
      const opened = await Promise.all(
        Array.from({ length: 4 }, () => openSse(`${own.url}/api/logs/tail`, { "last-event-id": "0" })),
      );
      expect(opened.map((s) => s.status).sort()).toEqual([200, 200, 503, 503]);
      for (const stream of opened) stream.close();
    } finally {
      await own.dispose();
    }
  });

  it("Should end open streams cleanly at shutdown", async () => {
    const own = await startTestServer();
    const stream = await openSse(`${own.url}/api/logs/tail`);
    await eventually(async () => (own.service.stats().tailSubscribers === 1 ? true : undefined));
    const stopped = own.dispose();
    await stream.ended;
    await stopped;
  });
});
