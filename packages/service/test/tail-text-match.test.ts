import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileTailFilter } from "../src/index.js";
import { seed } from "./helpers/seed.js";
import { allEntries, openService, type ServiceFixture } from "./helpers/service.js";

const matches = (text: string, message: string) =>
  compileTailFilter({ text })({
    id: 1,
    timestamp: new Date(0),
    level: "info",
    source: "s",
    message,
    fields: null,
  });

describe("live-tail text matching", () => {
  it.each([
    ["disk", "Disk full", true],
    ["disk full", "full disk", true],
    ["disk full", "disk ok", false],
    ['"disk full"', "the DISK FULL alarm", true],
    ['"disk full"', "full disk", false],
    ["dis*", "disk", true],
    ["disk AND full", "full disk", true],
    ["disk OR network", "network down", true],
    ["disk OR network", "cpu hot", false],
    ["disk NOT full", "disk ok", true],
    ["disk NOT full", "disk full", false],
    ["disk -full", "disk full", false],
    ["   ", "anything", true],
    ['"unterminated', "an unterminated quote", true],
  ])("%j against %j → %s", (text, message, expected) => {
    expect(matches(text, message)).toBe(expected);
  });
});

describe("live-tail text matching agrees with the search's FTS on word queries", () => {
  let fx: ServiceFixture;
  beforeAll(async () => {
    fx = await openService("batched");
    await seed(fx.storage, 300, Date.now(), 3_600_000);
  });
  afterAll(async () => fx.dispose());

  it.each(["timeout", "time*", '"timeout event"', "cache OR payment", "event NOT payment", "retrying event"])(
    "%s",
    async (q) => {
      const found = new Set<number>();
      let cursor: string | undefined;
      do {
        const params = new URLSearchParams({ q, limit: "1000" });
        if (cursor) params.set("cursor", cursor);
        const page = await fx.service.search(params);
        for (const e of page.entries) found.add(e.id);
        cursor = page.nextCursor;
      } while (cursor);
      const all = await allEntries(fx.storage);
      const filter = compileTailFilter({ text: q });
      const tailed = all.filter(filter).map((e) => e.id);
      expect(found.size).toBeGreaterThan(0);
      expect(found.size).toBeLessThan(all.length);
      expect(tailed.sort((a, b) => a - b)).toEqual([...found].sort((a, b) => a - b));
    },
  );
});
