import { LOG_LEVELS, type LogLevel } from "@batchlog/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { autoBucketMs, BadRequestError, type VolumeStats } from "../src/index.js";
import { type SeedEntry, seed } from "./helpers/seed.js";
import { openService, type ServiceFixture } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe("autoBucketMs", () => {
  it.each([
    [HOUR, MIN],
    [6 * HOUR, 10 * MIN],
    [24 * HOUR, 30 * MIN],
    [7 * 24 * HOUR, 3 * HOUR],
    [60_000, 1000],
  ])("a span of %d ms gets %d ms buckets", (span, bucket) => {
    expect(autoBucketMs(span)).toBe(bucket);
    expect(span / bucket).toBeLessThanOrEqual(60);
  });
});

describe.each(IMPLEMENTATIONS)("volume on %s storage", (impl) => {
  let fx: ServiceFixture;
  let seeded: SeedEntry[];
  beforeAll(async () => {
    fx = await openService(impl, { now: () => NOW });
    seeded = await seed(fx.storage, 600, NOW, 6 * HOUR);
  });
  afterAll(async () => fx.dispose());

  /** The histogram recomputed from the seed list, independently of SQL. */
  function expectedCounts(
    from: number,
    to: number,
    bucketMs: number,
    keep: (e: SeedEntry) => boolean = () => true,
  ) {
    const counts = new Map<number, Record<string, number>>();
    for (const e of seeded) {
      if (e.timestamp < from || e.timestamp >= to || !keep(e)) continue;
      const start = Math.floor(e.timestamp / bucketMs) * bucketMs;
      const c = counts.get(start) ?? {};
      c[e.level] = (c[e.level] ?? 0) + 1;
      counts.set(start, c);
    }
    return counts;
  }

  function expectMatches(stats: VolumeStats, keep?: (e: SeedEntry) => boolean) {
    const want = expectedCounts(stats.from.getTime(), stats.to.getTime(), stats.bucketMs, keep);
    for (const bucket of stats.buckets) {
      const w = want.get(bucket.start.getTime()) ?? {};
      for (const level of LOG_LEVELS) expect(bucket.counts[level]).toBe(w[level] ?? 0);
      expect(bucket.total).toBe(Object.values(w).reduce((a, b) => a + b, 0));
      want.delete(bucket.start.getTime());
    }
    expect([...want.keys()]).toEqual([]);
    const totals = Object.fromEntries(LOG_LEVELS.map((l) => [l, 0])) as Record<LogLevel, number>;
    for (const b of stats.buckets) for (const l of LOG_LEVELS) totals[l] += b.counts[l];
    expect(stats.totals).toEqual(totals);
    expect(stats.total).toBe(Object.values(totals).reduce((a, b) => a + b, 0));
  }

  it("counts per 15-minute bucket per level match the stored entries", async () => {
    const stats = await fx.service.volume(new URLSearchParams("from=6h&to=now&bucket=15m"));
    expect(stats.bucketMs).toBe(15 * MIN);
    expect(stats.buckets).toHaveLength(24);
    expect(stats.total).toBe(600);
    expectMatches(stats);
    for (let i = 1; i < stats.buckets.length; i++) {
      expect(stats.buckets[i]!.start.getTime() - stats.buckets[i - 1]!.start.getTime()).toBe(15 * MIN);
    }
  });

  it("picks about 60 buckets when no bucket is given", async () => {
    const stats = await fx.service.volume(new URLSearchParams("from=6h"));
    expect(stats.bucketMs).toBe(10 * MIN);
    expect(stats.buckets).toHaveLength(36);
    expectMatches(stats);
  });

  it("applies the search filters and an unaligned window", async () => {
    const from = NOW - 5 * HOUR + 7 * MIN;
    const to = NOW - HOUR - 3 * MIN;
    const stats = await fx.service.volume(
      new URLSearchParams(
        `from=${from}&to=${new Date(to).toISOString()}&bucket=30m&minLevel=error&source=api`,
      ),
    );
    expect(stats.buckets[0]?.start.getTime()).toBe(Math.floor(from / (30 * MIN)) * 30 * MIN);
    const keep = (e: SeedEntry) => (e.level === "error" || e.level === "fatal") && e.source === "api";
    expect(stats.total).toBe(seeded.filter((e) => e.timestamp >= from && e.timestamp < to && keep(e)).length);
    expect(stats.total).toBeGreaterThan(0);
    expectMatches(stats, keep);
  });

  it("defaults to the last hour", async () => {
    const stats = await fx.service.volume(new URLSearchParams());
    expect(stats.to.getTime()).toBe(NOW);
    expect(stats.from.getTime()).toBe(NOW - HOUR);
    expect(stats.bucketMs).toBe(MIN);
    expectMatches(stats);
  });

  it("from == to is an empty range, as for a search: no buckets, nothing counted", async () => {
    const at = new Date(NOW - HOUR).toISOString();
    const params = new URLSearchParams({ from: at, to: at, bucket: "5m" });
    const stats = await fx.service.volume(params);
    expect(stats).toMatchObject({ bucketMs: 5 * MIN, buckets: [], total: 0 });
    expect(Object.values(stats.totals).every((n) => n === 0)).toBe(true);
    const page = await fx.service.search(params);
    expect(page.entries).toEqual([]);
  });

  it.each([
    ["bucket=banana", "bucket"],
    ["from=7d&bucket=1s", "bucket"],
    ["from=now&to=1h", "from"],
    ["level=nope", "level"],
  ])("%s is a 400 naming %s", async (qs, param) => {
    const error = await fx.service.volume(new URLSearchParams(qs)).catch((e) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.param).toBe(param);
  });
});
