import type { LogEntry, NewLogEntry } from "@batchlog/storage";
import { afterEach, describe, expect, it } from "vitest";
import { BadRequestError, compileTailFilter } from "../src/index.js";
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
    fields: { user: `u${i % 13}`, i },
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
  ])("deletes exactly what a search with the filters finds, stamped before `to`: %s", async (qs) => {
    fx = await openService(impl, { now: () => NOW });
    await fx.storage.storeMany(entries());
    const before = await allEntries(fx.storage);
    const params = new URLSearchParams(qs);
    const filter = fx.service.parseSearchQuery(params);
    const to = (filter.to ?? new Date(NOW)).getTime();
    const matches = compileTailFilter(filter);
    const doomed = (e: LogEntry) => matches(e) && e.timestamp.getTime() < to;
    const result = await fx.service.deleteEntries(params);
    expect(result.deleted).toBe(before.filter(doomed).length);
    expect(result.deleted).toBeGreaterThan(0);
    expect(result.to.getTime()).toBe(to);
    expect((await allEntries(fx.storage)).map((e) => e.id)).toEqual(
      before.filter((e) => !doomed(e)).map((e) => e.id),
    );
    expect(fx.storage.stats().entriesErased).toBe(result.deleted);
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
