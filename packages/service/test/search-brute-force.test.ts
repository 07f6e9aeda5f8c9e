import { LOG_LEVELS, type LogEntry, type NewLogEntry } from "@batchlog/storage";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileTailFilter } from "../src/index.js";
import { allEntries, openService, type ServiceFixture } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const HOUR = 3_600_000;
const WORDS = ["alpha", "beta", "gamma", "épée", "order-1", "user=5", "or"];
const SOURCES = ["api", "wörker", "x=y", "cron"];
// numbers SQLite would print otherwise (15 digits, its own exponent form), "true" as text and as
// a boolean, an object: the tail's rendering of each is what a field filter must match
const FIELD_VALUES: unknown[] = [
  "v",
  "a=b",
  "ü",
  "5",
  5,
  true,
  "true",
  null,
  0.30000000000000004,
  0.3,
  1e21,
  { o: [1, "x"] },
];

/** Deterministic entries: out of time order across calls, with timestamp ties and odd characters. */
function entries(call: number, count: number): NewLogEntry[] {
  let state = 1000 + call;
  const next = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  return Array.from({ length: count }, (_, i) => ({
    // a tenth arrive an hour or two late; every 20th shares one timestamp
    timestamp: i % 20 === 0 ? NOW - HOUR : NOW - 2 * HOUR + next(2 * HOUR) - (next(10) === 0 ? HOUR : 0),
    level: LOG_LEVELS[next(6)],
    source: SOURCES[next(SOURCES.length)],
    message: `${WORDS[next(WORDS.length)]} ${WORDS[next(WORDS.length)]} n${call}x${i}`,
    fields: { k: FIELD_VALUES[next(FIELD_VALUES.length)], "a=b": next(2) },
  }));
}

const param = (name: string, values: string[]) => fc.constantFrom(...values.map((v) => [name, v] as const));
const queryArb = fc.record({
  q: fc.option(
    param("q", [
      "alpha",
      "beta OR gamma",
      "alpha NOT beta",
      "epee",
      "order-1",
      "user=5",
      "gam*",
      '"alpha beta"',
      // an operator's name after `-`: the word excluded
      "alpha -OR",
      "-NOT beta",
    ]),
  ),
  level: fc.option(param("level", ["error", "warn,error", "info,debug,trace"])),
  minLevel: fc.option(param("minLevel", ["warn", "fatal"])),
  source: fc.option(param("source", ["api", "wörker", "x=y", "api,cron"])),
  from: fc.option(param("from", ["90m", `${NOW - HOUR}`, "2026-11-26T09:30:00+01:00"])),
  to: fc.option(param("to", ["30m", `${NOW - HOUR}`, `${NOW - HOUR + 1}`])),
  field: fc.option(
    fc.constantFrom(
      ...([
        ["field.k", "a=b"],
        ["field.k", "5"],
        ["field.k", "true"],
        ["field.k", "ü"],
        ["field.k", "0.3"],
        ["field.k", "0.30000000000000004"],
        ["field.k", "1e+21"],
        ["field.k", '{"o":[1,"x"]}'],
        ["field.k", "null"],
        ["field.a=b", "1"],
      ] as const),
    ),
  ),
  // exclusions, one value or several (repeated), beside or against the field filter above
  notField: fc.option(
    fc.constantFrom(
      [["field.k!", "5"]],
      [
        ["field.k!", "true"],
        ["field.k!", "v"],
      ],
      [["field.k!", "0.30000000000000004"]],
      [
        ["field.a=b!", "1"],
        ["field.k!", '{"o":[1,"x"]}'],
      ],
      [["field.k!", "null"]],
    ),
  ),
  limit: fc.constantFrom(1, 7, 100, 1000),
});

describe.each(IMPLEMENTATIONS)("search against a brute-force filter on %s storage", (impl) => {
  let fx: ServiceFixture;
  let all: LogEntry[];
  beforeAll(async () => {
    fx = await openService(impl, { now: () => NOW });
    // separate calls: later ids, earlier timestamps for some
    for (let call = 0; call < 3; call++) await fx.storage.storeMany(entries(call, 1500));
    all = await allEntries(fx.storage);
  });
  afterAll(async () => fx.dispose());

  it("every page of a cursor walk is exactly the matching entries, newest first, none skipped or repeated", async () => {
    await fc.assert(
      fc.asyncProperty(queryArb, async (spec) => {
        const params = new URLSearchParams();
        for (const pair of [spec.q, spec.level, spec.minLevel, spec.source, spec.from, spec.to, spec.field]) {
          if (pair !== null) params.set(pair[0], pair[1]);
        }
        for (const [name, value] of spec.notField ?? []) params.append(name, value);
        const parsed = fx.service.parseSearchQuery(params);
        if (parsed.from && parsed.to && parsed.from > parsed.to) return;
        const matches = compileTailFilter(parsed);
        const want = all
          .filter(matches)
          .sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime() || b.id - a.id)
          .map((e) => e.id);
        const got: number[] = [];
        let cursor: string | undefined;
        do {
          const page = new URLSearchParams(params);
          page.set("limit", String(spec.limit));
          if (cursor !== undefined) page.set("cursor", cursor);
          const result = await fx.service.search(page);
          expect(result.entries.length).toBeLessThanOrEqual(spec.limit);
          got.push(...result.entries.map((e) => e.id));
          cursor = result.nextCursor;
        } while (cursor !== undefined && got.length < 300);
        expect(got, params.toString()).toEqual(want.slice(0, got.length));
        if (cursor === undefined) expect(got.length, params.toString()).toBe(want.length);
      }),
      { numRuns: 60, seed: 20261127 },
    );
  });

  it.each([
    "from=3h&bucket=1h",
    "from=2026-11-26T09:17:13%2B05:30&to=2026-11-26T11:59:59.999Z&bucket=7m",
    "from=150m&to=20m&q=alpha&minLevel=warn",
    `from=${NOW - HOUR}&to=${NOW - HOUR + 1}&bucket=1s`,
  ])("stats count per bucket what the brute-force filter finds there: %s", async (qs) => {
    const volume = await fx.service.volume(new URLSearchParams(qs));
    const matches = compileTailFilter(fx.service.parseSearchQuery(new URLSearchParams(qs)));
    const inside = (e: LogEntry, start: number, end: number) => {
      const t = e.timestamp.getTime();
      return (
        matches(e) && t >= Math.max(start, volume.from.getTime()) && t < Math.min(end, volume.to.getTime())
      );
    };
    const counted = volume.buckets.map((b) => b.total);
    const want = volume.buckets.map(
      (b) => all.filter((e) => inside(e, b.start.getTime(), b.start.getTime() + volume.bucketMs)).length,
    );
    expect(counted).toEqual(want);
    expect(volume.total).toBe(want.reduce((a, b) => a + b, 0));
    expect(volume.total).toBeGreaterThan(0);
  });
});
