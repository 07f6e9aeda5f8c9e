import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import {
  type LogEntry,
  type LogStorage,
  type NewLogEntry,
  openLogStorage,
  type SearchQuery,
} from "../src/index.js";
import { newestMatches } from "../src/newest-matches.js";
import { openNativeReadDb, type ReadDb } from "../src/reader/native-read-db.js";
import * as schema from "../src/schema.js";
import { timeSliceMatches } from "../src/time-slice-matches.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

const base = Date.UTC(2026, 10, 26);
const LEVELS = ["debug", "info", "warn", "error"] as const;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mostly in time order, as logs arrive, with some entries far out of it (late, or clock ahead). */
function entries(count: number, seed: number): NewLogEntry[] {
  const r = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const skew = r() < 0.03 ? (r() < 0.5 ? -1 : 1) * Math.floor(r() * 3_600_000) : 0;
    const words = [r() < 0.4 ? "common" : "plain", r() < 0.01 ? "rare" : "", `n${i}`];
    return {
      timestamp: base + i * 1000 + skew,
      level: LEVELS[Math.floor(r() * 4)],
      source: `svc-${Math.floor(r() * 3)}`,
      message: words.join(" "),
      fields: { i },
    };
  });
}

/** What a search must return, computed without SQL. */
function expected(all: LogEntry[], query: SearchQuery): { ids: number[]; more: boolean } {
  const words = (query.text ?? "").split(" ").filter(Boolean);
  const notWords = (query.notText ?? "").split(" ").filter(Boolean);
  const hits = all
    .filter((e) => words.every((w) => e.message.split(" ").includes(w)))
    .filter((e) => notWords.length === 0 || !notWords.every((w) => e.message.split(" ").includes(w)))
    .filter((e) => query.levels === undefined || query.levels.includes(e.level))
    .filter((e) => query.sources === undefined || query.sources.includes(e.source))
    .filter((e) => query.from === undefined || e.timestamp >= query.from)
    .filter((e) => query.to === undefined || e.timestamp < query.to)
    .sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime() || b.id - a.id);
  const limit = query.limit ?? 100;
  return { ids: hits.slice(0, limit).map((e) => e.id), more: hits.length > limit };
}

/** A storage to write through, and the reader thread's kind of connection to run a plan on. */
async function withReadDb(name: string, test: (storage: LogStorage, db: ReadDb) => Promise<void>) {
  const storage = await openLogStorage({ url: temp.url(name) });
  const connection = openNativeReadDb(temp.path(name), []);
  try {
    await test(storage, connection.db);
  } finally {
    connection.close();
    await storage.close();
  }
}

describe("full-text search plans", () => {
  it.each([true, false])(
    "returns exactly the newest matches whatever the order entries arrived in (readerThread: %s)",
    async (readerThread) => {
      const storage = await openLogStorage({ url: temp.url(`plans-${readerThread}.db`), readerThread });
      try {
        // three calls: later calls' ids are higher whatever their timestamps
        for (const seed of [1, 2, 3]) await storage.storeMany(entries(2000, seed));
        const all: LogEntry[] = [];
        let cursor: string | undefined;
        do {
          const page = await storage.search({ limit: 1000, ...(cursor !== undefined && { cursor }) });
          all.push(...page.entries);
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        expect(all).toHaveLength(6000);
        const queries: SearchQuery[] = [];
        for (const text of ["common", "plain", "rare", "common n17", "n4242"]) {
          for (const limit of [1, 10, 100, 1000]) {
            queries.push({ text, limit });
            queries.push({ text, limit, levels: ["error"] });
            queries.push({ text, limit, sources: ["svc-1"], levels: ["warn", "error"] });
            queries.push({ text, limit, from: new Date(base + 1_500_000) });
            queries.push({ text, limit, from: new Date(base + 1_990_000) });
            queries.push({ text, limit, from: new Date(base), to: new Date(base + 600_000) });
            queries.push({ text, limit, to: new Date(base + 900_000) });
            queries.push({ text, limit, to: new Date(base + 1_800_000), levels: ["info"] });
          }
        }
        // an exclusion alone (exclusion-walk.ts), with the same filters
        for (const notText of ["common", "plain", "rare", "common n17"]) {
          for (const limit of [1, 100, 1000]) {
            queries.push({ notText, limit });
            queries.push({ notText, limit, levels: ["error"] });
            queries.push({ notText, limit, from: new Date(base + 1_990_000) });
            queries.push({ notText, limit, to: new Date(base + 900_000), sources: ["svc-2"] });
          }
        }
        for (const query of queries) {
          const result = await storage.search(query);
          const want = expected(all, query);
          expect(
            result.entries.map((e) => e.id),
            JSON.stringify(query),
          ).toEqual(want.ids);
          expect(result.nextCursor !== undefined, JSON.stringify(query)).toBe(want.more);
        }
        // every page of a cursor walk, out-of-order rows included
        for (const query of [
          { text: "common", limit: 50 },
          { text: "plain", limit: 200, levels: ["warn" as const] },
          { text: "common", limit: 70, to: new Date(base + 1_000_000) },
          // under `from` a time slice ranges its ids from the slice, not from `from`
          { text: "common", limit: 40, from: new Date(base + 1_200_000) },
          { text: "common", limit: 30, from: new Date(base + 300_000), to: new Date(base + 1_700_000) },
          { notText: "plain", limit: 50 },
          { notText: "common", limit: 70, to: new Date(base + 1_000_000), levels: ["info" as const] },
        ]) {
          const seen: number[] = [];
          let next: string | undefined;
          do {
            const page = await storage.search({ ...query, ...(next !== undefined && { cursor: next }) });
            seen.push(...page.entries.map((e) => e.id));
            next = page.nextCursor;
          } while (next !== undefined);
          expect(seen, JSON.stringify(query)).toEqual(expected(all, { ...query, limit: 1_000_000 }).ids);
        }
      } finally {
        await storage.close();
      }
    },
  );

  it("finds the few entries an exclusion leaves deep in the table, past stretches of the largest size", async () => {
    const storage = await openLogStorage({ url: temp.url("exclusion-deep.db") });
    try {
      // 45,000 entries; only the oldest five lack the excluded word
      await storage.storeMany(
        Array.from({ length: 45_000 }, (_, i) => ({
          timestamp: base + i * 1000,
          message: i < 5 ? `kept ${i}` : `noise ${i}`,
        })),
      );
      const page = await storage.search({ notText: "noise", limit: 10 });
      expect(page.entries.map((e) => e.message)).toEqual(["kept 4", "kept 3", "kept 2", "kept 1", "kept 0"]);
      expect(page.nextCursor).toBeUndefined();
    } finally {
      await storage.close();
    }
  });

  it("answers from the newest matches when entries arrived in time order, adds the few out-of-order ones, and declines when many", async () => {
    await withReadDb("newest.db", async (storage, db) => {
      const inOrder = (from: number) =>
        Array.from({ length: 3000 }, (_, i) => ({
          timestamp: base + (from + i) * 1000,
          message: `${i % 3 === 0 ? "common" : "other"} ${from + i}`,
        }));
      await storage.storeMany(inOrder(0));
      const rows = await newestMatches(db, { text: "common", filters: [], rows: 11 });
      expect(rows?.map((r) => r.message)).toEqual(
        Array.from({ length: 11 }, (_, k) => `common ${2997 - 3 * k}`),
      );
      // entries whose clock ran ahead, stored before the newest matches: those that match the
      // text must lead the page, though no candidate includes them
      await storage.storeMany([
        { timestamp: base + 10_000_000, message: "other ahead" },
        { timestamp: base + 10_000_001, message: "common ahead" },
      ]);
      await storage.storeMany(inOrder(3000));
      const merged = await newestMatches(db, { text: "common", filters: [], rows: 3 });
      expect(merged?.map((r) => r.message)).toEqual(["common ahead", "common 5997", "common 5994"]);
      // many such entries: reading every match is the cheaper proof, so it declines
      await storage.storeMany(
        Array.from({ length: 20 }, (_, i) => ({
          timestamp: base + 20_000_000 + i,
          message: `other ahead ${i}`,
        })),
      );
      await storage.storeMany(inOrder(6000));
      expect(await newestMatches(db, { text: "common", filters: [], rows: 3 })).toBeUndefined();
      const page = await storage.search({ text: "common", limit: 3 });
      expect(page.entries.map((e) => e.message)).toEqual(["common ahead", "common 8997", "common 8994"]);
    });
  });

  it("keeps a time slice's page to the slice: an older match with an id inside its range does not jump the queue", async () => {
    await withReadDb("slice.db", async (storage, db) => {
      const other = (ids: number[]) =>
        ids.map((i) => ({ timestamp: base + 1000 + i, message: `other ${i}` }));
      const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);
      // id 1 matches, older than the slice; id 81 matches, arrived late: its id is inside the
      // slice's id range, its time is older than id 1's
      await storage.store({ timestamp: base + 100, message: "common first" });
      await storage.storeMany(other(range(2, 80)));
      await storage.store({ timestamp: base + 1, message: "common late" });
      await storage.storeMany(other(range(82, 160)));
      await storage.store({ timestamp: base + 5000, message: "common newest" });
      // 2 rows wanted: the first slice (100 rows) holds one match, so a larger one is read
      const rows = await timeSliceMatches(db, { text: "common", bounds: [], filters: [], rows: 2 });
      expect(rows?.map((r) => r.message)).toEqual(["common newest", "common first"]);
      // the slice's oldest id holds its newest entry, below 100 newer-id matches: found all the same
      await storage.store({ timestamp: base + 9_000, message: "common early id" });
      await storage.storeMany(
        Array.from({ length: 200 }, (_, i) => ({ timestamp: base + 6000 + i, message: `common ${i}` })),
      );
      const before = sql`${schema.logEntries.timestamp} < ${base + 8_000_000}`;
      const below = await timeSliceMatches(db, {
        text: "common",
        bounds: [before],
        filters: [before],
        rows: 2,
      });
      expect(below?.map((r) => r.message)).toEqual(["common early id", "common 199"]);
    });
  });
});
