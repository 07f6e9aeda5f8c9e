// GET /api/logs/export: a search's matches as an NDJSON download, on the real server.
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  postJson,
  request,
  startTestServer,
  type TestServer,
  type WireEntry,
} from "./helpers/test-server.js";

let server: TestServer;
let base: string;
const now = Date.now();
const TOTAL = 2600;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
  // 2,600 entries over the last hour, out of time order, in two sources; every 10th an error
  const entries = Array.from({ length: TOTAL }, (_, i) => ({
    timestamp: now - ((i * 7919) % 3_600_000),
    level: i % 10 === 0 ? "error" : "info",
    source: i % 2 === 0 ? "exp-even" : "exp-odd",
    message: `export line ${i}${i % 13 === 0 ? " wombat" : ""}`,
    fields: { i },
  }));
  for (let i = 0; i < TOTAL; i += 1000) {
    expect((await postJson(base, "/api/logs", entries.slice(i, i + 1000))).status).toBe(201);
  }
});
afterAll(() => server.dispose());

/** Every page of a search, following nextCursor: what an export must equal. */
async function searchAll(qs: string): Promise<WireEntry[]> {
  const out: WireEntry[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: { entries: WireEntry[]; nextCursor: string | null } } = await request(
      base,
      `/api/logs?${qs}&limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(page.status).toBe(200);
    out.push(...page.body.entries);
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  return out;
}

const lines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as WireEntry);

describe("GET /api/logs/export", () => {
  it("Should stream every match as NDJSON, newest first, exactly the entries search pages list", async () => {
    const res = await fetch(`${base}/api/logs/export?source=exp-even,exp-odd&limit=1000000`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="batchlog-[\dTZ-]+\.ndjson"$/,
    );
    const text = await res.text();
    expect(text.endsWith("\n")).toBe(true);
    const exported = lines(text);
    expect(exported).toHaveLength(TOTAL);
    expect(exported).toEqual(await searchAll("source=exp-even,exp-odd"));
  });

  it("Should filter as search does and stop at limit (10,000 by default)", async () => {
    const qs = "source=exp-even,exp-odd&q=wombat&minLevel=error";
    const exported = lines(await (await fetch(`${base}/api/logs/export?${qs}`)).text());
    const found = await searchAll(qs);
    expect(found.length).toBeGreaterThan(5);
    expect(exported).toEqual(found);
    const five = lines(await (await fetch(`${base}/api/logs/export?${qs}&limit=5`)).text());
    expect(five).toEqual(found.slice(0, 5));
  });

  it("Should compress the stream for a client that accepts gzip", async () => {
    const res = await fetch(`${base}/api/logs/export?source=exp-even`, {
      headers: { "accept-encoding": "gzip" },
    });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    // fetch decodes it; read the raw bytes through the gzip stream's own check as well
    const raw = Buffer.from(await res.arrayBuffer());
    const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString() : raw.toString();
    expect(lines(text)).toHaveLength(TOTAL / 2);
  });

  it("Should give lines that POST /api/logs takes back once their ids are dropped", async () => {
    const text = await (await fetch(`${base}/api/logs/export?source=exp-odd&q=wombat&limit=4`)).text();
    const exported = lines(text);
    expect(exported).toHaveLength(4);
    const body = exported
      .map(({ id: _id, ...entry }) => JSON.stringify({ ...entry, source: "exp-again" }))
      .join("\n");
    const res = await request<{ ids: number[] }>(base, "/api/logs", {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body,
    });
    expect(res.status).toBe(201);
    const again = (await request<{ entries: WireEntry[] }>(base, "/api/logs?source=exp-again")).body.entries;
    const strip = ({ id: _id, source: _source, ...rest }: WireEntry) => rest;
    expect(again.map(strip)).toEqual(exported.map(strip));
  });

  it("Should answer 400 naming the parameter before streaming anything", async () => {
    for (const [qs, param] of [
      ["limit=0", "limit"],
      ["limit=1000001", "limit"],
      ["cursor=abc", "cursor"],
      ["q=%22", "q"],
      ["level=shout", "level"],
    ] as const) {
      const res = await request<{ error: string; code: string }>(base, `/api/logs/export?${qs}`);
      expect(res.status, qs).toBe(400);
      expect(res.body.code, qs).toBe("BATCHLOG_BAD_REQUEST");
      expect(res.body.error, qs).toMatch(new RegExp(`^${param}: `));
    }
  });

  it("Should keep serving after a client hangs up in the middle of a download", async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/logs/export?limit=1000000`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => undefined);
    const after = await request(base, "/api/logs?limit=1");
    expect(after.status).toBe(200);
  });
});
