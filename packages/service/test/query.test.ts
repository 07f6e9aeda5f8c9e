import { LOG_LEVELS } from "@batchlog/storage";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BadRequestError } from "../src/index.js";
import { type SeedEntry, seed } from "./helpers/seed.js";
import { openService, type ServiceFixture } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const HOUR = 3_600_000;

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
