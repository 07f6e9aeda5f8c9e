import type { NewLogEntry } from "@batchlog/storage";
import { afterEach, describe, expect, it } from "vitest";
import { BadRequestError, compileTailFilter, createLogService } from "../src/index.js";
import { allEntries, openService, type ServiceFixture } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const MINUTE = 60_000;

/** 2,600 entries over the 2 hours before NOW (and a few stamped after it), several of each kind. */
function entries(): NewLogEntry[] {
  return Array.from({ length: 2600 }, (_, i) => ({
    timestamp: i < 2590 ? NOW - 120 * MINUTE + i * 2700 : NOW + (i - 2589) * 1000,
    level: (["info", "debug", "error", "warn"] as const)[i % 4],
    source: i % 5 === 0 ? "billing" : "api",
    message: i % 7 === 0 ? `card 4111 leaked ${i}` : `request ${i}`,
    // JSON text parsed: own keys named __proto__ and toString, as an ingested entry has them
    fields: JSON.parse(
      `{"user":"u${i % 13}","i":${i}${i % 3 === 0 ? `,"__proto__":"p${i % 2}","toString":"t${i % 2}"` : ""}}`,
    ),
  }));
}

describe.each(IMPLEMENTATIONS)("deleteEntries (erase by filter) on %s storage", (impl) => {
  let fx: ServiceFixture;
  afterEach(async () => fx.dispose());

  it.each([
    "q=leaked",
    "field.user=u3&level=error",
    "source=billing&from=90m&to=30m",
    "q=card+4111&field.user!=u0",
    "level=debug",
    // more than a page: three pages walked while their rows go
    "source=api",
    // keys that name Object.prototype's members are keys like any other
    "field.__proto__=p1",
    "field.toString!=t0&level=warn",
  ])(
    "deletes exactly what a search with the filters finds, stamped ahead of the clock too: %s",
    async (qs) => {
      fx = await openService(impl, { now: () => NOW });
      await fx.storage.storeMany(entries());
      const before = await allEntries(fx.storage);
      const params = new URLSearchParams(qs);
      const filter = fx.service.parseSearchQuery(params);
      const doomed = compileTailFilter(filter);
      const result = await fx.service.deleteEntries(params);
      expect(result.deleted).toBe(before.filter(doomed).length);
      expect(result.deleted).toBeGreaterThan(0);
      expect(result.to?.getTime()).toBe(filter.to?.getTime());
      expect(result.lastId).toBe(before.at(-1)?.id);
      expect((await allEntries(fx.storage)).map((e) => e.id)).toEqual(
        before.filter((e) => !doomed(e)).map((e) => e.id),
      );
      expect(fx.storage.stats().entriesErased).toBe(result.deleted);
    },
  );

  it("keeps entries committed after it started, whatever their timestamp", async () => {
    const opened = await openService(impl, { now: () => NOW });
    fx = opened;
    await fx.storage.storeMany(entries());
    const before = await allEntries(fx.storage);
    // the storage, except that its first search lets a matching entry commit first (as one
    // arriving while the walk runs would), stamped among the matches
    let arrived: number | undefined;
    const storage = new Proxy(opened.storage, {
      get(target, name) {
        if (name !== "search") {
          const value = Reflect.get(target, name, target);
          return typeof value === "function" ? value.bind(target) : value;
        }
        return async (query: Parameters<typeof target.search>[0]) => {
          arrived ??= await target.store({ timestamp: NOW - 60 * MINUTE, level: "debug", message: "late" });
          return target.search(query);
        };
      },
    });
    const service = createLogService({ storage, now: () => NOW });
    const result = await service.deleteEntries(new URLSearchParams("level=debug"));
    expect(result.deleted).toBe(before.filter((e) => e.level === "debug").length);
    const left = await allEntries(opened.storage);
    expect(left.filter((e) => e.level === "debug").map((e) => e.id)).toEqual([arrived]);
    await service.close();
  });

  it("refuses a request that names nothing to delete, a page size, or a bad filter", async () => {
    fx = await openService(impl, { now: () => NOW });
    await fx.storage.storeMany(entries().slice(0, 10));
    for (const [qs, param] of [
      ["", undefined],
      ["token=x", undefined],
      ["limit=5&level=error", "limit"],
      ["cursor=abc&level=error", "cursor"],
      ["level=loud", "level"],
      ["q=%22open", "q"],
    ] as const) {
      const error = await fx.service.deleteEntries(new URLSearchParams(qs)).catch((e: unknown) => e);
      expect(error, qs).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).param, qs).toBe(param);
    }
    expect(await allEntries(fx.storage)).toHaveLength(10);
  });
});
