import { LOG_LEVELS } from "@batchlog/storage";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BadRequestError, NotFoundError } from "../src/index.js";
import { type SeedEntry, seed } from "./helpers/seed.js";
import { openService, type ServiceFixture } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const HOUR = 3_600_000;

/** Each query string, given to `call`, is a BadRequestError naming the parameter beside it. */
async function expectRefused(
  call: (params: URLSearchParams) => Promise<unknown>,
  cases: ReadonlyArray<readonly [query: string, param: string]>,
): Promise<void> {
  for (const [query, param] of cases) {
    const error = await call(new URLSearchParams(query)).catch((e: unknown) => e);
    expect(error, query).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).param, query).toBe(param);
  }
}

describe.each(IMPLEMENTATIONS)("search and recent on %s storage", (impl) => {
  let fx: ServiceFixture;
  let seeded: SeedEntry[];
  beforeEach(async () => {
    fx = await openService(impl, { now: () => NOW });
    seeded = await seed(fx.storage, 600, NOW, 6 * HOUR);
  });
  afterEach(async () => fx.dispose());

  /** Every page of a search, following nextCursor. */
  async function searchAll(qs: string) {
    const messages: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const params = new URLSearchParams(qs);
      if (cursor) params.set("cursor", cursor);
      const page = await fx.service.search(params);
      messages.push(...page.entries.map((e) => e.message));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    return { messages, pages };
  }

  const expected = (keep: (e: SeedEntry) => boolean) =>
    seeded
      .filter(keep)
      .sort((a, b) => b.timestamp - a.timestamp || seeded.indexOf(b) - seeded.indexOf(a))
      .map((e) => e.message);

  it("filters by level, source, field and a relative time window, newest first across pages", async () => {
    const { messages, pages } = await searchAll(
      "level=warn,error&source=api,cron&field.user=u1&from=3h&limit=3",
    );
    const want = expected(
      (e) =>
        ["warn", "error"].includes(e.level) &&
        ["api", "cron"].includes(e.source) &&
        e.fields.user === "u1" &&
        e.timestamp >= NOW - 3 * HOUR,
    );
    expect(want.length).toBeGreaterThan(3);
    expect(messages).toEqual(want);
    expect(pages).toBe(Math.ceil(want.length / 3));
  });

  it("minLevel keeps that level and above; field values compare as text", async () => {
    const { messages } = await searchAll("minLevel=error&field.attempt=2&field.ok=true&limit=1000");
    const want = expected(
      (e) =>
        LOG_LEVELS.indexOf(e.level) >= LOG_LEVELS.indexOf("error") &&
        e.fields.attempt === 2 &&
        e.fields.ok === true,
    );
    expect(want.length).toBeGreaterThan(0);
    expect(messages).toEqual(want);
  });

  it("level and minLevel together keep their intersection, which may be empty", async () => {
    const both = await searchAll("level=debug,warn,fatal&minLevel=warn&limit=1000");
    expect(both.messages).toEqual(expected((e) => e.level === "warn" || e.level === "fatal"));
    const none = await fx.service.search(new URLSearchParams("level=debug&minLevel=error"));
    expect(none.entries).toEqual([]);
  });

  it("q is a full-text query; from/to take ISO and epoch ms", async () => {
    const from = new Date(NOW - 5 * HOUR).toISOString();
    const { messages } = await searchAll(`q=timeout&from=${from}&to=${NOW - HOUR}&limit=1000`);
    const want = expected(
      (e) => e.message.startsWith("timeout ") && e.timestamp >= NOW - 5 * HOUR && e.timestamp < NOW - HOUR,
    );
    expect(want.length).toBeGreaterThan(0);
    expect(messages).toEqual(want);
  });

  it.each([
    ['q="unterminated', "q"],
    ["q=AND", "q"],
    [`cursor=${Buffer.from("garbage").toString("base64url")}`, "cursor"],
    ["level=shout", "level"],
    ["limit=5000", "limit"],
  ])("a bad parameter (%s) is a 400 naming %s", async (qs, param) => {
    const error = await fx.service.search(new URLSearchParams(qs)).catch((e) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.param).toBe(param);
    expect(error.message).not.toMatch(/SQLITE|LibsqlError/);
  });

  it("context lists the neighbours of an entry, filtered like a search, 10 a side by default", async () => {
    // the search order over everything, and an entry in the middle of it
    const all = await searchAll("limit=1000");
    const order = (await fx.service.search(new URLSearchParams("limit=1000"))).entries;
    expect(order.map((e) => e.message)).toEqual(all.messages);
    const anchor = order[300]!;
    const byDefault = await fx.service.context(String(anchor.id), new URLSearchParams());
    expect(byDefault.entry).toEqual(anchor);
    expect(byDefault.newer.map((e) => e.id)).toEqual(order.slice(290, 300).map((e) => e.id));
    expect(byDefault.older.map((e) => e.id)).toEqual(order.slice(301, 311).map((e) => e.id));
    expect(byDefault).toMatchObject({ moreNewer: true, moreOlder: true });
    // filters as search reads them, q included: the neighbours only, the entry itself whatever it is
    const qs = "source=api,cron&minLevel=warn&q=timeout OR payment&before=3&after=1000";
    const keep = (await searchAll(`${qs.replace(/&before=3&after=1000/, "")}&limit=1000`)).messages;
    const filtered = await fx.service.context(String(anchor.id), new URLSearchParams(qs));
    const at = order.findIndex((e) => e.id === anchor.id);
    const newerKept = order.slice(0, at).filter((e) => keep.includes(e.message));
    const olderKept = order.slice(at + 1).filter((e) => keep.includes(e.message));
    expect(newerKept.length).toBeGreaterThan(3);
    expect(filtered.newer.map((e) => e.message)).toEqual(newerKept.map((e) => e.message));
    expect(filtered.older.map((e) => e.message)).toEqual(olderKept.slice(0, 3).map((e) => e.message));
    expect(filtered).toMatchObject({ moreNewer: false, moreOlder: olderKept.length > 3 });
  });

  it("context of an id no entry has is a 404; a bad id or count, or a page parameter, is a 400 naming it", async () => {
    const missing = await fx.service.context("999999", new URLSearchParams()).catch((e) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ statusCode: 404, code: "BATCHLOG_NOT_FOUND" });
    expect(missing.message).toMatch(/no entry with id 999999/);
    for (const [id, qs, param] of [
      ["0", "", "id"],
      ["abc", "", "id"],
      ["1.5", "", "id"],
      ["1", "before=-1", "before"],
      ["1", "after=1001", "after"],
      ["1", "after=x", "after"],
      ["1", "limit=5", "limit"],
      ["1", "cursor=abc", "cursor"],
      ["1", 'q="unterminated', "q"],
      ["1", "level=shout", "level"],
    ] as const) {
      const error = await fx.service.context(id, new URLSearchParams(qs)).catch((e) => e);
      expect(error, `${id} ${qs}`).toBeInstanceOf(BadRequestError);
      expect(error.param, `${id} ${qs}`).toBe(param);
    }
  });

  it("exportEntries gives every match newest first, a page at a time, up to limit", async () => {
    const collect = async (qs: string) => {
      const { limit, pages } = await fx.service.exportEntries(new URLSearchParams(qs));
      const sizes: number[] = [];
      const out: string[] = [];
      for await (const page of pages) {
        sizes.push(page.length);
        out.push(...page.map((e) => e.message));
      }
      return { limit, sizes, out };
    };
    // all 600 by default (10,000 at most), in one page of the storage (1000 a read)
    const all = await collect("");
    expect(all.limit).toBe(10_000);
    expect(all.out).toEqual(expected(() => true));
    // filtered as a search is, and cut at limit
    const errors = await collect("minLevel=error&source=api&limit=7");
    expect(errors.out).toEqual(
      expected((e) => ["error", "fatal"].includes(e.level) && e.source === "api").slice(0, 7),
    );
    expect(errors.sizes).toEqual([7]);
    // a parameter error, or a q the storage refuses, before the first entry
    await expectRefused(
      (params) => fx.service.exportEntries(params),
      [
        ["limit=0", "limit"],
        ["limit=1000001", "limit"],
        ["cursor=abc", "cursor"],
        ['q="unterminated', "q"],
      ],
    );
  });

  it("exportEntries pages on past 1000 entries, and reads no further once the consumer stops", async () => {
    await seed(fx.storage, 2100, NOW - 7 * HOUR, HOUR);
    const { pages } = await fx.service.exportEntries(new URLSearchParams("limit=2500"));
    const sizes: number[] = [];
    const ids = new Set<number>();
    for await (const page of pages) {
      sizes.push(page.length);
      for (const e of page) ids.add(e.id);
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(ids.size).toBe(2500);
    // a consumer that stops after the first page: the storage is not asked for a second
    let reads = 0;
    const search = fx.storage.search.bind(fx.storage);
    fx.storage.search = (query) => {
      reads++;
      return search(query);
    };
    const early = await fx.service.exportEntries(new URLSearchParams("limit=2500"));
    for await (const page of early.pages) {
      expect(page).toHaveLength(1000);
      break;
    }
    expect(reads).toBe(1);
  });

  it("fields sums up the keys of the newest matches and offers values that, as filters, find exactly those entries", async () => {
    // odd values beside the seeded ones: floats SQLite would print otherwise, objects, nulls, long text;
    // and an identifier, a different value on each of 30 entries
    await fx.storage.storeMany(
      [0.1 + 0.2, 12.5, 1e21, 7].map((latency, i) => ({
        timestamp: NOW - 1000 - i,
        source: "api",
        message: `odd fields ${i}`,
        fields: { latency, nested: { a: i }, gone: null, note: i === 0 ? "x".repeat(300) : "short" },
      })),
    );
    await fx.storage.storeMany(
      Array.from({ length: 30 }, (_, i) => ({
        timestamp: NOW - 2000 - i,
        source: "api",
        message: `traced ${i}`,
        fields: { traceId: `t-${i}`, attempt: 9 },
      })),
    );
    const qs = "source=api&from=7h";
    const summary = await fx.service.fields(new URLSearchParams(qs));
    const matching = (await searchAll(`${qs}&limit=1000`)).messages;
    expect(summary.sampled).toBe(matching.length);
    expect(summary.partial).toBe(false);
    const byKey = Object.fromEntries(summary.fields.map((f) => [f.key, f]));
    // the seeded keys are on every seeded entry: most common first
    expect(summary.fields[0]!.key).toBe("attempt");
    expect(
      summary.fields
        .slice(1, 3)
        .map((f) => f.key)
        .sort(),
    ).toEqual(["ok", "user"]);
    expect(byKey.user!.count).toBe(matching.length - 34);
    // an identifier: counted, its values not offered
    expect(byKey.traceId).toMatchObject({ count: 30, distinct: 30, values: [] });
    expect(byKey.user!.values.map((v) => v.value).sort()).toEqual(["u0", "u1", "u2", "u3"]);
    expect(byKey.user!.values.reduce((n, v) => n + v.count, 0)).toBe(byKey.user!.count);
    expect(byKey.ok!.values.map((v) => v.value).sort()).toEqual(["false", "true"]);
    // counted under their key; numbers offered as written (the filter matches them so)
    expect(byKey.latency).toMatchObject({ count: 4, distinct: 4 });
    expect(byKey.latency!.values.map((v) => v.value).sort()).toEqual([
      "0.30000000000000004",
      "12.5",
      "1e+21",
      "7",
    ]);
    expect(byKey.nested).toMatchObject({ count: 4, values: [], distinct: 0 });
    expect(byKey.gone).toMatchObject({ count: 4, values: [] });
    expect(byKey.note).toMatchObject({ count: 4, values: [{ value: "short", count: 3 }] });
    // every value offered is a filter that finds exactly that many of the sampled entries
    for (const field of summary.fields) {
      for (const { value, count } of field.values) {
        const params = new URLSearchParams(`${qs}&limit=1000`);
        params.set(`field.${field.key}`, value);
        expect((await fx.service.search(params)).entries, `${field.key}=${value}`).toHaveLength(count);
      }
    }
    // a sample smaller than the matches: the newest ones, and says so
    const small = await fx.service.fields(new URLSearchParams(`${qs}&sample=10`));
    expect(small).toMatchObject({ sampled: 10, partial: true });
    await expectRefused(
      (params) => fx.service.fields(params),
      [
        ["sample=0", "sample"],
        ["sample=1001", "sample"],
        ["limit=5", "limit"],
        ["level=shout", "level"],
      ],
    );
  });

  it("recent returns the newest entries, 100 by default, limit up to 1000", async () => {
    const newest = expected(() => true);
    const byDefault = await fx.service.recent(new URLSearchParams());
    expect(byDefault.entries.map((e) => e.message)).toEqual(newest.slice(0, 100));
    const five = await fx.service.recent(new URLSearchParams("limit=5"));
    expect(five.entries.map((e) => e.message)).toEqual(newest.slice(0, 5));
    for (const bad of ["0", "1001", "x"]) {
      await expect(fx.service.recent(new URLSearchParams(`limit=${bad}`))).rejects.toMatchObject({
        statusCode: 400,
        param: "limit",
      });
    }
  });
});
