import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  postJson,
  request,
  search,
  startTestServer,
  type TestServer,
  type WireEntry,
} from "./helpers/test-server.js";

let server: TestServer;
let base: string;
const now = Date.now();

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
  const res = await postJson(base, "/api/logs", [
    {
      timestamp: now - 3_600_000,
      level: "info",
      source: "q-api",
      message: "GET /orders 200",
      fields: { status: 200, user: "ada" },
    },
    {
      timestamp: now - 1_800_000,
      level: "warn",
      source: "q-api",
      message: "slow query on orders",
      fields: { status: 200, user: "bob" },
    },
    {
      timestamp: now - 60_000,
      level: "error",
      source: "q-billing",
      message: "payment declined for order",
      fields: { status: 402, user: "ada" },
    },
    {
      timestamp: now - 30_000,
      level: "debug",
      source: "q-worker",
      message: "job picked",
      fields: { job: "resize" },
    },
    { timestamp: now - 10_000, level: "fatal", source: "q-worker", message: "worker crashed: out of memory" },
  ]);
  expect(res.status).toBe(201);
});
afterAll(() => server.dispose());

const messages = (entries: WireEntry[]) => entries.map((e) => e.message);

describe("GET /api/logs", () => {
  it("Should return entries newest first with a null nextCursor at the end", async () => {
    const res = await request<{ entries: WireEntry[]; nextCursor: string | null }>(
      base,
      "/api/logs?source=q-api,q-billing,q-worker",
    );
    expect(res.status).toBe(200);
    expect(res.body.entries).toHaveLength(5);
    expect(res.body.entries[0]?.message).toBe("worker crashed: out of memory");
    expect(res.body.nextCursor).toBeNull();
  });

  it("Should filter by full text, level, minLevel, source, field and time", async () => {
    expect(messages(await search(base, { q: "orders" }))).toEqual([
      "slow query on orders",
      "GET /orders 200",
    ]);
    expect(messages(await search(base, { q: '"payment declined"' }))).toEqual(["payment declined for order"]);
    expect(messages(await search(base, { q: "crash*" }))).toEqual(["worker crashed: out of memory"]);
    expect(messages(await search(base, { level: "warn,error" }))).toEqual([
      "payment declined for order",
      "slow query on orders",
    ]);
    expect(messages(await search(base, { minLevel: "error" }))).toEqual([
      "worker crashed: out of memory",
      "payment declined for order",
    ]);
    expect(messages(await search(base, { source: "q-worker" }))).toEqual([
      "worker crashed: out of memory",
      "job picked",
    ]);
    expect(messages(await search(base, { "field.user": "ada" }))).toEqual([
      "payment declined for order",
      "GET /orders 200",
    ]);
    expect(messages(await search(base, { "field.status": "402" }))).toEqual(["payment declined for order"]);
    expect(messages(await search(base, { from: "2m", source: "q-worker,q-billing,q-api" }))).toHaveLength(3);
    expect(
      messages(
        await search(base, { from: new Date(now - 2_000_000).toISOString(), to: String(now - 45_000) }),
      ),
    ).toEqual(["payment declined for order", "slow query on orders"]);
  });

  it("Should leave out what a q starting with NOT matches, in search and stats alike", async () => {
    expect(messages(await search(base, { q: "NOT orders" }))).toEqual([
      "worker crashed: out of memory",
      "job picked",
      "payment declined for order", // whole words: order is not orders
    ]);
    expect(messages(await search(base, { q: "orders AND NOT GET" }))).toEqual(["slow query on orders"]);
    expect(messages(await search(base, { q: "orders -GET" }))).toEqual(["slow query on orders"]);
    expect(messages(await search(base, { q: "-orders" }))).toEqual(
      messages(await search(base, { q: "NOT orders" })),
    );
    expect(messages(await search(base, { q: "NOT order* NOT job", minLevel: "warn" }))).toEqual([
      "worker crashed: out of memory",
    ]);
    const stats = await request<{ total: number }>(
      base,
      `/api/stats?from=${now - 2 * 3_600_000}&to=${now + 1000}&bucket=10m&q=${encodeURIComponent("NOT order*")}`,
    );
    expect(stats.body.total).toBe(2);
    const widened = await request<{ error: string }>(
      base,
      `/api/logs?q=${encodeURIComponent("orders AND NOT GET OR NOT job")}`,
    );
    expect(widened.status).toBe(400);
    expect(widened.body.error).toMatch(/^q: OR between two searches .* split it into two searches/);
  });

  it("Should page with limit and cursor without gaps or repeats", async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/api/logs?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const res = await request<{ entries: WireEntry[]; nextCursor: string | null }>(base, query);
      expect(res.status).toBe(200);
      seen.push(...res.body.entries.map((e) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  it.each([
    ["limit=0"],
    ["limit=abc"],
    ["limit=5000"],
    ["level=loud"],
    ["minLevel=x"],
    ["from=yesterday"],
    ["from=now&to=1h"],
    ["cursor=%%%"],
    ["q=%22unterminated"],
    ["q=AND%20OR"],
    ["q=NOT"],
    ["q=NEAR("],
    ["limit=1&limit=2"],
  ])("Should answer 400 naming the parameter for %s", async (query) => {
    const res = await request<{ error: string; code: string }>(base, `/api/logs?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("BATCHLOG_BAD_REQUEST");
    expect(res.body.error).toMatch(new RegExp(`^${query.split("=")[0]}`));
  });
});

describe("GET /api/logs/:id/context", () => {
  interface ContextBody {
    entry: WireEntry;
    newer: WireEntry[];
    older: WireEntry[];
    moreNewer: boolean;
    moreOlder: boolean;
  }
  const idOf = async (message: string) => {
    const res = await request<{ entries: WireEntry[] }>(
      base,
      `/api/logs?q=${encodeURIComponent(`"${message}"`)}`,
    );
    return res.body.entries[0]!.id;
  };

  it("Should list the entries just newer and older than one, newest first, filtered like a search", async () => {
    const slow = await idOf("slow query on orders");
    const res = await request<ContextBody>(base, `/api/logs/${slow}/context?source=q-api,q-billing,q-worker`);
    expect(res.status).toBe(200);
    expect(res.body.entry).toMatchObject({ id: slow, message: "slow query on orders", level: "warn" });
    expect(messages(res.body.newer)).toEqual([
      "worker crashed: out of memory",
      "job picked",
      "payment declined for order",
    ]);
    expect(messages(res.body.older)).toEqual(["GET /orders 200"]);
    expect(res.body).toMatchObject({ moreNewer: false, moreOlder: false });
    // one a side: more lie beyond on the newer side only
    const one = await request<ContextBody>(
      base,
      `/api/logs/${slow}/context?source=q-api,q-billing,q-worker&before=1&after=1`,
    );
    expect(messages(one.body.newer)).toEqual(["payment declined for order"]);
    expect(one.body).toMatchObject({ moreNewer: true, moreOlder: false });
    // the filters choose the neighbours, not the entry: a warn entry among errors and above
    const errors = await request<ContextBody>(
      base,
      `/api/logs/${slow}/context?source=q-api,q-billing,q-worker&minLevel=error`,
    );
    expect(errors.body.entry.message).toBe("slow query on orders");
    expect(messages(errors.body.newer)).toEqual([
      "worker crashed: out of memory",
      "payment declined for order",
    ]);
    expect(errors.body.older).toEqual([]);
  });

  it("Should answer 404 for an id no entry has, and 400 naming a bad parameter", async () => {
    const missing = await request<{ error: string; code: string }>(base, "/api/logs/987654321/context");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: "no entry with id 987654321 (never stored, or deleted by retention)",
      code: "BATCHLOG_NOT_FOUND",
    });
    for (const [path, param] of [
      ["/api/logs/abc/context", "id"],
      ["/api/logs/1/context?before=1001", "before"],
      ["/api/logs/1/context?limit=5", "limit"],
      ["/api/logs/1/context?q=%22", "q"],
    ] as const) {
      const res = await request<{ error: string; code: string }>(base, path);
      expect(res.status, path).toBe(400);
      expect(res.body.code, path).toBe("BATCHLOG_BAD_REQUEST");
      expect(res.body.error, path).toMatch(new RegExp(`^${param}: `));
    }
  });
});

describe("GET /api/logs/recent", () => {
  it("Should return the newest entries up to limit", async () => {
    const res = await request<{ entries: WireEntry[] }>(base, "/api/logs/recent?limit=2");
    expect(res.status).toBe(200);
    expect(res.body.entries.map((e) => e.id)).toHaveLength(2);
    expect(res.body.entries[0]!.id).toBeGreaterThan(res.body.entries[1]!.id);
  });

  it("Should answer 400 for a bad limit", async () => {
    expect((await request(base, "/api/logs/recent?limit=-1")).status).toBe(400);
    expect((await request(base, "/api/logs/recent?limit=1001")).status).toBe(400);
  });
});

describe("GET /api/fields", () => {
  it("Should list the fields keys of the matches, most common first, with values that work as filters", async () => {
    const res = await request<{
      sampled: number;
      partial: boolean;
      fields: { key: string; count: number; values: { value: string; count: number }[]; distinct: number }[];
    }>(base, "/api/fields?source=q-api,q-billing,q-worker");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      sampled: 5,
      partial: false,
      fields: [
        {
          key: "status",
          count: 3,
          values: [
            { value: "200", count: 2 },
            { value: "402", count: 1 },
          ],
          distinct: 2,
        },
        {
          key: "user",
          count: 3,
          values: [
            { value: "ada", count: 2 },
            { value: "bob", count: 1 },
          ],
          distinct: 2,
        },
        { key: "job", count: 1, values: [{ value: "resize", count: 1 }], distinct: 1 },
      ],
    });
    const filtered = await request<{ entries: WireEntry[] }>(
      base,
      "/api/logs?source=q-api,q-billing,q-worker&field.status=200",
    );
    expect(filtered.body.entries).toHaveLength(2);
    const bad = await request<{ error: string }>(base, "/api/fields?sample=0");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^sample: /);
  });
});

describe("GET /api/stats", () => {
  it("Should count entries per bucket per level, with totals", async () => {
    const res = await request<{
      bucketMs: number;
      buckets: { start: string; counts: Record<string, number>; total: number }[];
      totals: Record<string, number>;
      total: number;
    }>(base, `/api/stats?from=${now - 2 * 3_600_000}&to=${now + 1000}&bucket=10m`);
    expect(res.status).toBe(200);
    expect(res.body.bucketMs).toBe(600_000);
    expect(res.body.totals).toMatchObject({
      info: 1,
      warn: 1,
      error: 1,
      debug: 1,
      fatal: 1,
      trace: 0,
      all: 5,
    });
    expect(res.body.buckets.reduce((n, b) => n + b.total, 0)).toBe(5);
  });

  it("Should answer 400 for a bad bucket or range", async () => {
    expect((await request(base, "/api/stats?bucket=fortnight")).status).toBe(400);
    expect((await request(base, "/api/stats?from=30d&bucket=1s")).status).toBe(400);
    expect((await request(base, `/api/stats?from=${now}&to=${now - 1000}`)).status).toBe(400);
  });
});

describe("other routes", () => {
  it("Should answer 404 JSON for an unknown route", async () => {
    const res = await request(base, "/api/nothing");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: "BATCHLOG_NOT_FOUND" });
  });
});
