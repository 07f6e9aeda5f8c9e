import Database from "libsql";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { filePathOf } from "../src/file-url.js";
import {
  type BatchConfigInput,
  type ContextQuery,
  type EntryContext,
  type LogEntry,
  type LogStorage,
  type NewLogEntry,
  openLogStorage,
  type SearchQuery,
  StorageClosedError,
  ValidationError,
} from "../src/index.js";
import { captureLogs } from "./helpers/log-capture.js";

/** Where the contract runs: a fresh empty database per test, and the config every open uses. */
export interface ContractBackend {
  /** URL of an empty database for the next test (reopening within a test reuses it). */
  freshUrl(): string | Promise<string>;
  config: BatchConfigInput;
  /** Row count straight from the database (not through the storage), where that is possible. */
  countRows?(url: string): number;
}

const base = Date.UTC(2026, 10, 26, 12, 0, 0);

/** A `fields` value as an entry shows it, which is what a fields filter matches; null and missing: nothing. */
function shownAsFilter(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function entry(i: number, extra: Partial<NewLogEntry> = {}): NewLogEntry {
  return {
    timestamp: base + i * 1000,
    level: ["debug", "info", "warn", "error"][i % 4]!,
    source: `svc-${i % 3}`,
    message: `request ${i} handled in ${i % 50} ms`,
    fields: { i, user: `u${i % 5}`, ok: i % 2 === 0 },
    ...extra,
  };
}

/**
 * The LogStorage contract (SPEC §2): the same tests for every implementation and backend —
 * batched and direct on a local file here, and again against a libSQL server.
 */
export function describeStorageContract(name: string, backend: ContractBackend): void {
  describe(`LogStorage contract: ${name}`, () => {
    let storage: LogStorage | undefined;
    let url = "";
    beforeEach(async () => {
      url = await backend.freshUrl();
    });
    const open = async (config?: BatchConfigInput) => {
      storage = await openLogStorage({ ...backend.config, ...config, url });
      return storage;
    };
    afterEach(async () => {
      await storage?.close();
      storage = undefined;
    });

    it("resolves store() with the committed id and sets entry.id", async () => {
      const s = await open();
      const e = entry(1);
      const id = await s.store(e);
      expect(id).toBeGreaterThan(0);
      expect(e.id).toBe(id);
      const [found] = (await s.search({ limit: 10 })).entries;
      expect(found).toMatchObject({
        id,
        level: "info",
        source: "svc-1",
        message: e.message,
        fields: e.fields,
      });
      expect(found?.timestamp.getTime()).toBe(base + 1000);
    });

    it("keeps input order in storeMany with strictly increasing ids", async () => {
      const s = await open();
      const entries = Array.from({ length: 250 }, (_, i) => entry(i));
      const ids = await s.storeMany(entries);
      expect(ids).toHaveLength(250);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
      expect(entries.map((e) => e.id)).toEqual(ids);
      const page = await s.search({ limit: 1000 });
      const byId = new Map(page.entries.map((e) => [e.id, e]));
      for (const [i, e] of entries.entries()) expect(byId.get(ids[i]!)?.message).toBe(e.message);
    });

    it("applies defaults: time of receipt, info, unknown source", async () => {
      const s = await open();
      const before = Date.now();
      const id = await s.store({ message: "bare" });
      const [found] = (await s.search({ limit: 1 })).entries;
      expect(found).toMatchObject({ id, level: "info", source: "unknown", fields: null });
      expect(found!.timestamp.getTime()).toBeGreaterThanOrEqual(before);
    });

    it("maps level aliases case-insensitively and accepts ISO timestamps", async () => {
      const s = await open();
      await s.storeMany([
        { message: "a", level: "WARNING", timestamp: "2026-11-26T10:00:00.123Z" },
        { message: "b", level: "Critical", timestamp: "2026-11-26T10:00:01Z" },
        { message: "c", level: "err", timestamp: "2026-11-26T10:00:02Z" },
      ]);
      const { entries } = await s.search({});
      expect(entries.map((e) => [e.message, e.level])).toEqual([
        ["c", "error"],
        ["b", "fatal"],
        ["a", "warn"],
      ]);
      expect(entries[2]!.timestamp.toISOString()).toBe("2026-11-26T10:00:00.123Z");
    });

    it("keeps any text exactly, and stores lone UTF-16 surrogates and NUL in message and source as U+FFFD", async () => {
      const s = await open();
      const texts = ['quote " backslash \\ tab \t newline \n', "emoji 😀 é ß 漢字 \u2028", '{"not":"json'];
      const ids = await s.storeMany([
        ...texts.map((message, i) => ({ message, source: `src-${i} "q" \\`, fields: { text: message } })),
        { message: "lone \ud800 high", source: "s\udc00", fields: { k: "v\ud800" } },
        // the driver reads text only up to a NUL: kept whole, this would come back as "nul "
        { message: "nul \u0000 inside", source: "\u0000s", fields: { k: "v\u0000w" } },
      ]);
      const byId = new Map((await s.search({})).entries.map((e) => [e.id, e]));
      texts.forEach((message, i) => {
        expect(byId.get(ids[i]!)).toMatchObject({
          message,
          source: `src-${i} "q" \\`,
          fields: { text: message },
        });
      });
      expect(byId.get(ids[3]!)).toMatchObject({ message: "lone \ufffd high", source: "s\ufffd" });
      expect(byId.get(ids[4]!)).toMatchObject({
        message: "nul \ufffd inside",
        source: "\ufffds",
        fields: { k: "v\u0000w" },
      });
      const [found] = (await s.search({ text: "inside" })).entries;
      expect(found?.id).toBe(ids[4]);
    });

    it.each([
      [{ message: 42 }, "message"],
      [{ message: "x", level: "loud" }, "level"],
      [{ message: "x", source: "" }, "source"],
      [{ message: "x", source: "s".repeat(257) }, "source"],
      [{ message: "" }, "message"],
      [{ message: "x".repeat(70_000) }, "message"],
      [{ message: "x", timestamp: "yesterday-ish" }, "timestamp"],
      [{ message: "x", fields: [1, 2] }, "fields"],
      [{ message: "x", fields: { big: "y".repeat(70_000) } }, "fields"],
    ])("rejects an invalid entry %j with a ValidationError naming %s", async (bad, field) => {
      const s = await open();
      const error = await s.store(bad as NewLogEntry).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
      expect((await s.search({})).entries).toHaveLength(0);
    });

    it("stores the good entries of a storeEach and reports the bad ones", async () => {
      const s = await open();
      const results = await s.storeEach([entry(1), { message: "x", level: "nope" }, entry(2)]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((await s.search({})).entries).toHaveLength(2);
    });

    describe("search", () => {
      const seed = async (config?: BatchConfigInput) => {
        const s = await open(config);
        await s.storeMany(Array.from({ length: 60 }, (_, i) => entry(i)));
        await s.storeMany([
          entry(100, { message: "payment declined by upstream gateway", level: "error", source: "billing" }),
          entry(101, { message: "payments reconciled", level: "info", source: "billing" }),
          entry(102, { message: "gateway timeout after 30s", level: "fatal", source: "edge" }),
        ]);
        return s;
      };

      it("filters by full text: words, phrases and prefixes", async () => {
        const s = await seed();
        const words = await s.search({ text: "gateway" });
        expect(words.entries.map((e) => e.source).sort()).toEqual(["billing", "edge"]);
        const phrase = await s.search({ text: '"declined by upstream"' });
        expect(phrase.entries.map((e) => e.message)).toEqual(["payment declined by upstream gateway"]);
        const prefix = await s.search({ text: "payment*" });
        expect(prefix.entries).toHaveLength(2);
        const boolean = await s.search({ text: "gateway NOT timeout" });
        expect(boolean.entries.map((e) => e.source)).toEqual(["billing"]);
      });

      it("finds the newest matches of a common term (time-driven plan) and of a rare one alike", async () => {
        const s = await open();
        // 5,000 entries, every other one "common", one "rare": past the plan's crossover
        await s.storeMany(
          Array.from({ length: 5000 }, (_, i) =>
            entry(i, {
              message: `${i % 2 === 0 ? "common" : "other"} ${i === 1234 ? "rare" : ""} event ${i}`,
            }),
          ),
        );
        const seen: number[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 3; page++) {
          const result = await s.search({
            text: "common",
            limit: 100,
            ...(cursor !== undefined && { cursor }),
          });
          seen.push(...result.entries.map((e) => e.fields?.i as number));
          cursor = result.nextCursor;
        }
        // newest first, only matches, no gaps: i = 4998, 4996, … (timestamps follow i)
        expect(seen).toEqual(Array.from({ length: 300 }, (_, k) => 4998 - 2 * k));
        const rare = await s.search({ text: "rare" });
        expect(rare.entries.map((e) => e.fields?.i)).toEqual([1234]);
        const both = await s.search({ text: "common", levels: ["warn"], limit: 5 });
        expect(both.entries.map((e) => e.fields?.i)).toEqual([4998, 4994, 4990, 4986, 4982]);
      });

      it("leaves out what notText matches: alone, beside text and filters, across pages, in counts and after an id", async () => {
        const s = await seed();
        const ids = (entries: { fields: Record<string, unknown> | null }[]) =>
          entries.map((e) => e.fields?.i);
        const every = ids((await s.search({ limit: 1000 })).entries);
        // "7 OR 17": request 7 (7 ms), 17, and 57 (57 % 50 = 7 ms)
        const kept = every.filter((i) => ![7, 17, 57].includes(i as number));
        expect(ids((await s.search({ notText: "7 OR 17", limit: 1000 })).entries)).toEqual(kept);
        const seen: unknown[] = [];
        let cursor: string | undefined;
        do {
          const page = await s.search({
            notText: "7 OR 17",
            limit: 7,
            ...(cursor !== undefined && { cursor }),
          });
          seen.push(...ids(page.entries));
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        expect(seen).toEqual(kept);
        // the same cursor with another notText (or none) would page through another result set
        const first = await s.search({ notText: "7", limit: 5 });
        for (const other of [{}, { notText: "17" }, { text: "7" }]) {
          const error = await s
            .search({ ...other, limit: 5, cursor: first.nextCursor! })
            .catch((e: unknown) => e);
          expect((error as ValidationError).field, JSON.stringify(other)).toBe("cursor");
        }
        const without = await s.search({ notText: "request", limit: 1000 });
        expect(ids(without.entries)).toEqual([102, 101, 100]);
        const both = await s.search({ text: "gateway", notText: "timeout" });
        expect(both.entries.map((e) => e.source)).toEqual(["billing"]);
        const errors = await s.search({ levels: ["error"], notText: "request OR payment" });
        expect(errors.entries).toEqual([]);
        const buckets = await s.countByBucket({
          from: new Date(base),
          to: new Date(base + 60_000),
          bucketMs: 20_000,
          notText: "7 OR 17",
        });
        expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(57);
        const after = await s.committedAfter({ afterId: 0, notText: "request", limit: 1000 });
        expect(ids(after.entries)).toEqual([100, 101, 102]);
        // the newest few after an id, and the older ones counted as skipped, both without the excluded
        const newest = await s.committedAfter({ afterId: 10, notText: "7 OR 17", limit: 5 });
        expect(ids(newest.entries)).toEqual([58, 59, 100, 101, 102]);
        expect(newest).toMatchObject({ skipped: 63 - 10 - 2 - 5, skippedIsLowerBound: false });
        const error = await s.search({ notText: '"open' }).catch((e: unknown) => e);
        expect((error as ValidationError).field).toBe("notText");
      });

      it("pages an exclusion of most entries exactly, entries out of time order included", async () => {
        const s = await open();
        // 2,000 entries, 9 in 10 "noise"; every 7th stamped hours earlier than its id suggests
        const stored = Array.from({ length: 2000 }, (_, i) =>
          entry(i, {
            message: `${i % 10 === 3 ? "signal" : "noise"} ${i}`,
            timestamp: base + (i % 7 === 0 ? -5_000_000 + i : i * 1000),
            level: i % 20 === 3 ? "error" : "info",
          }),
        );
        await s.storeMany(stored);
        const expected = (keep: (e: (typeof stored)[number]) => boolean) =>
          stored
            .map((e, i) => ({ ...e, id: i + 1 }))
            .filter((e) => !String(e.message).startsWith("noise") && keep(e))
            .sort((a, b) => Number(b.timestamp) - Number(a.timestamp) || b.id - a.id)
            .map((e) => e.id);
        const cases: [Omit<SearchQuery, "notText">, (e: (typeof stored)[number]) => boolean][] = [
          [{}, () => true],
          [{ levels: ["error"] }, (e) => e.level === "error"],
        ];
        for (const [filters, keep] of cases) {
          const seen: number[] = [];
          let cursor: string | undefined;
          do {
            const page = await s.search({
              ...filters,
              notText: "noise",
              limit: 30,
              ...(cursor !== undefined && { cursor }),
            });
            seen.push(...page.entries.map((e) => e.id));
            cursor = page.nextCursor;
          } while (cursor !== undefined);
          expect(seen, JSON.stringify(filters)).toEqual(expected(keep));
        }
      });

      it("rejects malformed full-text queries with a ValidationError", async () => {
        const s = await seed();
        for (const text of ['"unterminated', "AND OR", "foo:bar(", "*"]) {
          const error = await s.search({ text }).catch((e: unknown) => e);
          expect(error, text).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).field).toBe("text");
        }
      });

      it("filters by levels, minLevel, sources, time range and fields", async () => {
        const s = await seed();
        const errors = await s.search({ levels: ["error", "fatal"], limit: 1000 });
        expect(new Set(errors.entries.map((e) => e.level))).toEqual(new Set(["error", "fatal"]));
        expect(errors.entries).toHaveLength(15 + 1 + 1);
        const atLeastWarn = await s.search({ minLevel: "warn", limit: 1000 });
        expect(atLeastWarn.entries.every((e) => ["warn", "error", "fatal"].includes(e.level))).toBe(true);
        expect(atLeastWarn.entries).toHaveLength(30 + 2);
        const edge = await s.search({ sources: ["edge", "billing"] });
        expect(edge.entries).toHaveLength(3);
        const window = await s.search({
          from: new Date(base + 10_000),
          to: new Date(base + 20_000),
          limit: 1000,
        });
        expect(window.entries.map((e) => e.fields?.i)).toEqual([19, 18, 17, 16, 15, 14, 13, 12, 11, 10]);
        const byField = await s.search({ fields: { user: "u2", i: "7" } });
        expect(byField.entries.map((e) => e.fields?.i)).toEqual([7]);
        const byBool = await s.search({ fields: { ok: "true" }, sources: ["svc-0"], limit: 1000 });
        expect(byBool.entries.every((e) => e.fields?.ok === true)).toBe(true);
        expect(byBool.entries.length).toBe(10);
      });

      it("enqueueEach resolves once queued, reports entries refused on their own, and commits the rest", async () => {
        const s = await open();
        const queued = await s.enqueueEach([entry(1), { message: "bad", level: "nope" }, entry(2)]);
        expect([...queued.refused.keys()]).toEqual([1]);
        expect(queued.refused.get(1)).toBeInstanceOf(ValidationError);
        const results = await queued.committed;
        expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
        const ids = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
        const page = await s.search({ limit: 10 });
        expect(page.entries.map((e) => e.id).sort((a, b) => a - b)).toEqual(ids);
        await s.close();
        await expect(s.enqueueEach([entry(3)])).rejects.toBeInstanceOf(StorageClosedError);
      });

      it("matches fields keys whatever characters they hold", async () => {
        const s = await open();
        // JSON path syntax inside keys: quotes, backslashes, dots, brackets, control characters
        const keys = ['say "hi"', "C:\\dir", "a.b", "x[0]", "line\nbreak", "$", "it's", 'q\\"z'];
        const ids = await s.storeMany(
          keys.flatMap((key, i) => [
            { message: `hit ${i}`, fields: { [key]: `v${i}`, flag: true } },
            { message: `miss ${i}`, fields: { [key]: `other`, [`${key}2`]: `v${i}` } },
          ]),
        );
        expect(ids).toHaveLength(keys.length * 2);
        for (const [i, key] of keys.entries()) {
          const page = await s.search({ fields: { [key]: `v${i}` } });
          expect(
            page.entries.map((e) => e.message),
            key,
          ).toEqual([`hit ${i}`]);
          const withBool = await s.search({ fields: { [key]: `v${i}`, flag: "true" } });
          expect(
            withBool.entries.map((e) => e.message),
            key,
          ).toEqual([`hit ${i}`]);
        }
        const quotedBool = await s.storeMany([{ message: "b", fields: { 'is "on"': true, n: 5 } }]);
        const found = await s.search({ fields: { 'is "on"': "true", n: "5" } });
        expect(found.entries.map((e) => e.id)).toEqual(quotedBool);
        expect((await s.search({ fields: { 'is "on"': "false" } })).entries).toEqual([]);
      });

      it("matches a field as an entry shows it: text as it is, any other value as its JSON", async () => {
        const s = await open();
        // numbers SQLite prints otherwise (15 digits, its own exponent form), a number and a
        // boolean beside the same text, containers, null (matches nothing), a missing key
        const values: unknown[] = [
          0.30000000000000004,
          0.3,
          1e21,
          -1.5e-7,
          2 ** 53 + 2,
          500,
          "500",
          true,
          "true",
          false,
          { a: [1, "x"] },
          [1, 2],
          'ü "q" \\',
          null,
          undefined,
        ];
        // an ordinary key (a JSON path) and one no path can name (looked up with json_each)
        for (const key of ["v", 'say "v"']) {
          const ids = await s.storeMany(
            values.map((value, i) => ({ message: `${key} ${i}`, fields: { [key]: value, i } })),
          );
          for (const value of values) {
            const filter = shownAsFilter(value) ?? "null";
            const page = await s.search({ fields: { [key]: filter }, limit: 100 });
            const want = ids.filter((_, j) => shownAsFilter(values[j]) === filter).reverse();
            expect(
              page.entries.map((e) => e.id),
              `${key}=${filter}`,
            ).toEqual(want);
          }
          expect((await s.search({ fields: { [key]: "0.30000000000000004" } })).entries).toHaveLength(1);
        }
      });

      it("leaves out entries by field value (notFields), keeping those without the key", async () => {
        const s = await open();
        const base = Date.UTC(2026, 0, 1);
        // route under an ordinary key and under one no JSON path names, missing or null on some
        const routes: unknown[] = ["/healthz", "/api", "/metrics", 500, "500", null, undefined, { r: 1 }];
        const ids = await s.storeMany(
          Array.from({ length: 80 }, (_, i) => ({
            timestamp: base + i * 1000,
            level: i % 4 === 0 ? ("error" as const) : ("info" as const),
            message: `request ${i}`,
            fields: { route: routes[i % routes.length], 'r "q"': routes[i % routes.length], i },
          })),
        );
        for (const key of ["route", 'r "q"']) {
          for (const left of [["/healthz", "/metrics"], ["500"], ['{"r":1}', "/api", "/api"], ["nothing"]]) {
            const kept = ids.filter(
              (_, i) => !left.includes(shownAsFilter(routes[i % routes.length]) ?? "\u0000"),
            );
            const all = await s.search({ notFields: { [key]: left }, limit: 1000 });
            expect(
              all.entries.map((e) => e.id),
              `${key} ${left}`,
            ).toEqual(kept.toReversed());
            // pages of 7: none skipped or repeated
            const paged: number[] = [];
            let cursor: string | undefined;
            do {
              const page = await s.search({
                notFields: { [key]: left },
                limit: 7,
                ...(cursor && { cursor }),
              });
              paged.push(...page.entries.map((e) => e.id));
              cursor = page.nextCursor;
            } while (cursor !== undefined);
            expect(paged).toEqual(kept.toReversed());
            const buckets = await s.countByBucket({
              from: new Date(base),
              to: new Date(base + 80_000),
              bucketMs: 20_000,
              notFields: { [key]: left },
            });
            expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(kept.length);
          }
        }
        // with other filters: errors, without /api or /healthz, and with a positive field filter
        const errors = await s.search({
          levels: ["error"],
          notFields: { route: ["/healthz"] },
          fields: { i: "12" },
        });
        expect(errors.entries.map((e) => e.fields?.i)).toEqual([12]);
        const excluded = await s.search({
          levels: ["error"],
          notFields: { route: ["/healthz"] },
          limit: 1000,
        });
        expect(excluded.entries.every((e) => e.fields?.route !== "/healthz")).toBe(true);
        expect(excluded.entries).toHaveLength(10);
        // a cursor is bound to its exclusions: other ones, or none, would page another result set
        const first = await s.search({ notFields: { route: ["/api"] }, limit: 5 });
        const others: SearchQuery[] = [
          {},
          { notFields: { route: ["/metrics"] } },
          { notFields: { 'r "q"': ["/api"] } },
        ];
        for (const other of others) {
          const error = await s
            .search({ ...other, limit: 5, cursor: first.nextCursor! })
            .catch((e: unknown) => e);
          expect((error as ValidationError).field, JSON.stringify(other)).toBe("cursor");
        }
        // the same exclusions written in another order are the same search
        const reordered = await s.search({
          notFields: { route: ["/api", "/api"] },
          limit: 5,
          cursor: first.nextCursor!,
        });
        expect(reordered.entries).toHaveLength(5);
        // what the tail resumes from: commits after an id, without the excluded
        const after = await s.committedAfter({
          afterId: ids[70]!,
          notFields: { route: ["/metrics", "/healthz"] },
          limit: 100,
        });
        expect(after.entries.map((e) => e.id)).toEqual(
          ids.filter(
            (id, i) =>
              id > ids[70]! && !["/metrics", "/healthz"].includes(routes[i % routes.length] as string),
          ),
        );
      });

      it("returns newest first and validates the limit", async () => {
        const s = await seed();
        const page = await s.search({ limit: 5 });
        const times = page.entries.map((e) => e.timestamp.getTime());
        expect(times).toEqual([...times].sort((a, b) => b - a));
        await expect(s.search({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
        await expect(s.search({ limit: 1001 })).rejects.toBeInstanceOf(ValidationError);
        await expect(s.search({ cursor: "garbage!" })).rejects.toBeInstanceOf(ValidationError);
      });

      it("pages with a cursor without skipping or repeating, even under concurrent inserts", async () => {
        const s = await seed();
        const seen: number[] = [];
        let cursor: string | undefined;
        let round = 0;
        do {
          const page = await s.search({ limit: 7, ...(cursor !== undefined && { cursor }) });
          seen.push(...page.entries.map((e) => e.id));
          cursor = page.nextCursor;
          // newer and older entries arrive while we page
          await s.storeMany([entry(1000 + round), entry(-1000 - round, { message: "late" })]);
          round++;
        } while (cursor !== undefined);
        expect(new Set(seen).size).toBe(seen.length);
        // every entry that existed before paging started was seen
        for (let id = 1; id <= 63; id++) expect(seen).toContain(id);
      });

      it("refuses a cursor used with other filters, and pages on when only the time window moved", async () => {
        const s = await seed();
        const first = await s.search({ levels: ["error"], text: "request", limit: 5 });
        const cursor = first.nextCursor;
        expect(cursor).toBeDefined();
        // another filter would page from the first search's position: the newer matches silently missing
        for (const other of [
          { levels: ["warn" as const], text: "request" },
          { levels: ["error" as const], text: "handled" },
          { levels: ["error" as const] },
          { minLevel: "warn" as const, text: "request" },
          { levels: ["error" as const], text: "request", sources: ["svc-1"] },
          { levels: ["error" as const], text: "request", fields: { user: "u1" } },
        ]) {
          const error = await s.search({ ...other, limit: 5, cursor: cursor! }).catch((e: unknown) => e);
          expect(error, JSON.stringify(other)).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).field).toBe("cursor");
          expect((error as Error).message).toMatch(/other filters/);
        }
        // the same filters written differently, and a moved window (a relative from is re-read per page)
        const next = await s.search({
          levels: ["error", "error"],
          minLevel: "error",
          text: "request",
          from: new Date(base - 60_000),
          limit: 5,
          cursor: cursor!,
        });
        const all = await s.search({ levels: ["error"], text: "request", limit: 10 });
        expect(next.entries.map((e) => e.id)).toEqual(all.entries.slice(5).map((e) => e.id));
      });

      it("lists the entries committed after an id in commit order, the newest up to limit, counting the rest", async () => {
        const s = await seed();
        // committed later, with older timestamps: commit order, not time order
        const late = await s.storeMany([
          entry(-5, { message: "payment late one", level: "error" }),
          entry(-6, { message: "payment late two", level: "error" }),
        ]);
        const all = await s.committedAfter({ afterId: 0, limit: 1000 });
        expect(all.entries.map((e) => e.id)).toEqual(Array.from({ length: 65 }, (_, i) => i + 1));
        expect(all.skipped).toBe(0);
        const after = await s.committedAfter({
          afterId: 60,
          text: "payment*",
          levels: ["error"],
          limit: 1000,
        });
        expect(after.entries.map((e) => e.message)).toEqual([
          "payment declined by upstream gateway",
          "payment late one",
          "payment late two",
        ]);
        const newest = await s.committedAfter({ afterId: 10, minLevel: "error", limit: 2 });
        expect(newest.entries.map((e) => e.id)).toEqual(late);
        // errors and fatals after id 10 but the two returned: 13 of ids 11–60 (i = 11, 15 … 59), 61, 62
        expect(newest.skipped).toBe(13 + 2);
        expect(newest.skippedIsLowerBound).toBe(false);
        await expect(s.committedAfter({ afterId: -1, limit: 5 })).rejects.toBeInstanceOf(ValidationError);
        await expect(s.committedAfter({ afterId: 0, limit: 0 })).rejects.toBeInstanceOf(ValidationError);
      });

      it("counts the skipped entries among at most skippedCountWindow entries before those returned, and says when the figure is a lower bound", async () => {
        const s = await seed({ skippedCountWindow: 10 });
        await s.storeMany([
          entry(-5, { message: "payment late one", level: "error" }),
          entry(-6, { message: "payment late two", level: "error" }),
        ]);
        // ids 1–65; returned: 61–65; counted: the 10 ids 51–60 of the 60 older ones
        expect(await s.committedAfter({ afterId: 0, limit: 5 })).toMatchObject({
          skipped: 10,
          skippedIsLowerBound: true,
        });
        // the window reaches afterId + 1 exactly (ids 54–63): the count is exact
        const exact = await s.committedAfter({ afterId: 53, limit: 2 });
        expect(exact.entries.map((e) => e.id)).toEqual([64, 65]);
        expect(exact).toMatchObject({ skipped: 10, skippedIsLowerBound: false });
        // one id short of it (id 53 is not examined)
        expect(await s.committedAfter({ afterId: 52, limit: 2 })).toMatchObject({
          skipped: 10,
          skippedIsLowerBound: true,
        });
        // filtered: only the window's matches (errors and fatals among ids 54–63: 56, 60, 61, 63 of 15)
        expect(await s.committedAfter({ afterId: 10, minLevel: "error", limit: 2 })).toMatchObject({
          skipped: 4,
          skippedIsLowerBound: true,
        });
        // full text: the window bounds the term's matches too ("request" in ids 1–60; 60 returned)
        const text = await s.committedAfter({ afterId: 0, text: "request", limit: 1 });
        expect(text.entries.map((e) => e.id)).toEqual([60]);
        expect(text).toMatchObject({ skipped: 10, skippedIsLowerBound: true });
      });

      it("lists exactly the newest matches of a rare filter committed after an old id, in commit order", async () => {
        const s = await open();
        // 1,500 entries, one in 50 from "audit" plus the newest; timestamps run backwards, so
        // commit order (id) and time order disagree
        const audit = (i: number) => i % 50 === 11 || i === 1499;
        const ids = await s.storeMany(
          Array.from({ length: 1500 }, (_, i) =>
            entry(i, { timestamp: base - i * 1000, ...(audit(i) && { source: "audit" }) }),
          ),
        );
        const auditIds = ids.filter((_, i) => audit(i));
        const afterId = ids[40]!; // older than every audit entry but the first
        const since = auditIds.filter((id) => id > afterId);
        expect(since).toHaveLength(30);
        // all of them: the newest few are among the newest entries, the rest far below
        const all = await s.committedAfter({ afterId, sources: ["audit"], limit: 100 });
        expect(all.entries.map((e) => e.id)).toEqual(since);
        expect(all).toMatchObject({ skipped: 0, skippedIsLowerBound: false });
        // the newest 5, and the other 25 counted
        const newest = await s.committedAfter({ afterId, sources: ["audit"], limit: 5 });
        expect(newest.entries.map((e) => e.id)).toEqual(since.slice(-5));
        expect(newest).toMatchObject({ skipped: 25, skippedIsLowerBound: false });
        // with a level too (every 4th entry is an error: half the audit ones)
        const errors = await s.committedAfter({ afterId, sources: ["audit"], minLevel: "error", limit: 100 });
        const auditErrors = ids.filter((id, i) => audit(i) && i % 4 === 3 && id > afterId);
        expect(auditErrors).toHaveLength(15);
        expect(errors.entries.map((e) => e.id)).toEqual(auditErrors);
        // a common filter from a recent id
        const errorsSince = ids.filter((_, i) => i % 4 === 3 && i > 1400);
        const recentErrors = await s.committedAfter({ afterId: ids[1400]!, minLevel: "error", limit: 3 });
        expect(recentErrors.entries.map((e) => e.id)).toEqual(errorsSince.slice(-3));
        expect(recentErrors).toMatchObject({ skipped: errorsSince.length - 3, skippedIsLowerBound: false });
      });

      it("lists the entries around one in the search order, newest first on each side, the filters choosing only the neighbours", async () => {
        const s = await open();
        // 120 entries in three sources; timestamps shuffled and repeated (ties are ordered by id)
        const stamps = Array.from({ length: 120 }, (_, i) => base + ((i * 37) % 40) * 1000);
        const ids = await s.storeMany(
          stamps.map((timestamp, i) =>
            entry(i, { timestamp, message: i % 7 === 0 ? `context marker ${i}` : `context plain ${i}` }),
          ),
        );
        const all = await s.search({ limit: 1000 });
        expect(all.entries).toHaveLength(120);
        // the oracle: the search order over every entry, filtered, around the anchor's position
        const window = (id: number, before: number, after: number, keep: (e: LogEntry) => boolean) => {
          const at = all.entries.findIndex((e) => e.id === id);
          const newer = all.entries.slice(0, at).filter(keep);
          const older = all.entries.slice(at + 1).filter(keep);
          return {
            newer: newer.slice(Math.max(0, newer.length - after)).map((e) => e.id),
            older: older.slice(0, before).map((e) => e.id),
            moreNewer: newer.length > after,
            moreOlder: older.length > before,
          };
        };
        const idsOf = (c: EntryContext | null) =>
          c && {
            newer: c.newer.map((e) => e.id),
            older: c.older.map((e) => e.id),
            moreNewer: c.moreNewer,
            moreOlder: c.moreOlder,
          };
        const cases: [ContextQuery, (e: LogEntry) => boolean][] = [
          [{ id: ids[0]! }, () => true],
          [{ id: ids[59]!, before: 3, after: 5 }, () => true],
          [{ id: ids[60]!, before: 0, after: 0 }, () => true],
          [{ id: ids[61]!, before: 1000, after: 1000 }, () => true],
          [{ id: ids[33]!, sources: ["svc-0"] }, (e) => e.source === "svc-0"],
          // the anchor is svc-1: its neighbours come from svc-2 alone
          [{ id: ids[34]!, sources: ["svc-2"], before: 4, after: 4 }, (e) => e.source === "svc-2"],
          [
            { id: ids[80]!, minLevel: "warn", before: 6, after: 2 },
            (e) => e.level === "warn" || e.level === "error",
          ],
          [
            { id: ids[77]!, text: "marker", before: 3, after: 3 },
            (e) => e.message.startsWith("context marker"),
          ],
          [{ id: ids[90]!, fields: { user: "u1" }, before: 2, after: 7 }, (e) => e.fields?.user === "u1"],
        ];
        for (const [query, keep] of cases) {
          const context = await s.context(query);
          expect(context?.entry.id, JSON.stringify(query)).toBe(query.id);
          expect(idsOf(context), JSON.stringify(query)).toEqual(
            window(query.id, query.before ?? 10, query.after ?? 10, keep),
          );
        }
        // whole entries, as search returns them
        const first = await s.context({ id: ids[5]!, before: 1, after: 1 });
        expect(first?.entry).toEqual(all.entries.find((e) => e.id === ids[5]));
        expect(first?.older[0]).toEqual(all.entries.find((e) => e.id === first?.older[0]?.id));
        // no such entry: null, not an error
        expect(await s.context({ id: ids.at(-1)! + 1000 })).toBeNull();
        await expect(s.context({ id: 0 })).rejects.toBeInstanceOf(ValidationError);
        await expect(s.context({ id: 1.5 })).rejects.toBeInstanceOf(ValidationError);
        await expect(s.context({ id: ids[0]!, before: -1 })).rejects.toBeInstanceOf(ValidationError);
        await expect(s.context({ id: ids[0]!, after: 1001 })).rejects.toBeInstanceOf(ValidationError);
        await expect(s.context({ id: ids[0]!, text: '"unbalanced' })).rejects.toMatchObject({
          field: "text",
        });
      });

      it("returns recent entries newest first", async () => {
        const s = await seed();
        const recent = await s.getRecent(3);
        expect(recent).toHaveLength(3);
        expect(recent[0]!.timestamp.getTime()).toBeGreaterThanOrEqual(recent[1]!.timestamp.getTime());
        await expect(s.getRecent(0)).rejects.toBeInstanceOf(ValidationError);
      });

      it("counts per bucket and level as a brute force does: any width, levels or other filter, before 1970 too", async () => {
        const s = await open();
        const levels = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
        // 600 entries over ~7 h around the epoch and ~7 h around `base`, pseudo-random
        let seedValue = 7;
        const random = (n: number) => {
          seedValue = (seedValue * 1103515245 + 12345) % 2 ** 31;
          return seedValue % n;
        };
        const stored = Array.from({ length: 600 }, (_, i) => ({
          timestamp: (i % 2 === 0 ? 0 : base) + (random(50_000) - 25_000) * 1000 + random(1000),
          level: levels[random(6)]!,
          source: `svc-${random(3)}`,
          message: `m${i}`,
        }));
        await s.storeMany(stored);
        const cases: {
          from: number;
          to: number;
          bucketMs: number;
          minLevel?: "warn";
          levels?: ("info" | "error")[];
          sources?: string[];
        }[] = [
          { from: -30_000_000, to: 30_000_000, bucketMs: 60_000 },
          {
            from: base - 20_000_000,
            to: base + 20_000_000,
            bucketMs: 600_000,
            levels: ["error", "info", "error"],
          },
          { from: -25_000_123, to: 7_000_001, bucketMs: 3_600_000 },
          { from: -1, to: 1, bucketMs: 7 },
          { from: base - 25_000_000, to: base + 25_000_000, bucketMs: 300_000, minLevel: "warn" },
          { from: base - 9_999_999, to: base + 3_333_333, bucketMs: 1_000_000, sources: ["svc-1"] },
          { from: -30_000_000, to: base + 30_000_000, bucketMs: 86_400_000 },
          // past the per-bucket statement's 10,000 buckets: the rows are grouped instead
          { from: -30_000_000, to: 30_000_000, bucketMs: 1000 },
        ];
        for (const c of cases) {
          const expected = new Map<string, number>();
          for (const e of stored) {
            if (e.timestamp < c.from || e.timestamp >= c.to) continue;
            if (c.minLevel && levels.indexOf(e.level) < levels.indexOf(c.minLevel)) continue;
            if (c.levels && !(c.levels as string[]).includes(e.level)) continue;
            if (c.sources && !c.sources.includes(e.source)) continue;
            const key = `${Math.floor(e.timestamp / c.bucketMs) * c.bucketMs}/${e.level}`;
            expected.set(key, (expected.get(key) ?? 0) + 1);
          }
          const counted = await s.countByBucket({ ...c, from: new Date(c.from), to: new Date(c.to) });
          const got = new Map(counted.map((b) => [`${b.bucketStart}/${b.level}`, b.count]));
          expect(got.size, "one row per bucket and level").toBe(counted.length);
          expect(got, JSON.stringify(c)).toEqual(expected);
          const starts = counted.map((b) => b.bucketStart);
          expect(starts).toEqual([...starts].sort((a, b) => a - b));
        }
        expect(await s.countByBucket({ from: new Date(5), to: new Date(5), bucketMs: 10 })).toEqual([]);
        // levels and a minLevel that leave no level: nothing, as search finds nothing
        const none = { from: new Date(0), to: new Date(10_000), bucketMs: 1000, levels: ["info" as const] };
        expect(await s.countByBucket({ ...none, minLevel: "fatal" })).toEqual([]);
        expect((await s.search({ levels: ["info"], minLevel: "fatal", limit: 10 })).entries).toEqual([]);
      });

      it("counts entries per time bucket and level", async () => {
        const s = await seed();
        const buckets = await s.countByBucket({
          from: new Date(base),
          to: new Date(base + 60_000),
          bucketMs: 20_000,
        });
        const total = buckets.reduce((n, b) => n + b.count, 0);
        expect(total).toBe(60);
        const first = buckets.filter((b) => b.bucketStart === base);
        expect(first.reduce((n, b) => n + b.count, 0)).toBe(20);
        expect(first.find((b) => b.level === "warn")?.count).toBe(5);
      });
    });

    describe("cleanup", () => {
      it("deletes by age and by count and keeps the full-text index consistent", async () => {
        const s = await open();
        await s.storeMany(Array.from({ length: 12_000 }, (_, i) => entry(i, { message: `needle ${i}` })));
        const deletedByAge = await s.cleanup({ olderThan: new Date(base + 2000 * 1000) });
        expect(deletedByAge).toBe(2000);
        const deletedByCount = await s.cleanup({ maxEntries: 4000 });
        expect(deletedByCount).toBe(6000);
        expect(await s.cleanup({ maxEntries: 4000 })).toBe(0);
        const remaining = await s.search({ text: "needle", limit: 1000 });
        expect(remaining.entries[0]?.fields?.i).toBe(11_999);
        const oldest = await s.search({ text: "needle", to: new Date(base + 8001 * 1000), limit: 10 });
        expect(oldest.entries.map((e) => e.fields?.i)).toEqual([8000]);
        const gone = await s.search({ text: '"needle 5"' });
        expect(gone.entries).toHaveLength(0);
        if (backend.countRows) expect(backend.countRows(url)).toBe(4000);
        await expect(s.cleanup({ maxEntries: -1 })).rejects.toBeInstanceOf(ValidationError);
        expect(s.stats().entriesDeleted).toBe(8000);
      });

      it("deletes by age per level: each named level at its own cutoff, the others at olderThan", async () => {
        const s = await open();
        const levels = ["debug", "info", "error", "trace"] as const;
        // 12,000 entries a second apart, the levels in turn: more than a 5,000-row chunk per level
        await s.storeMany(
          Array.from({ length: 12_000 }, (_, i) => entry(i, { level: levels[i % 4], message: `lvl ${i}` })),
        );
        const at = (second: number) => new Date(base + second * 1000);
        const cutoff = { debug: 9000, error: 500, trace: 11_000, other: 3000 };
        const deleted = await s.cleanup({
          olderThan: at(cutoff.other),
          olderThanByLevel: { debug: at(cutoff.debug), error: at(cutoff.error), trace: at(cutoff.trace) },
        });
        const kept = (i: number) => {
          const level = levels[i % 4]!;
          return i >= (level === "info" ? cutoff.other : cutoff[level]);
        };
        const want = Array.from({ length: 12_000 }, (_, i) => i).filter(kept);
        expect(deleted).toBe(12_000 - want.length);
        const seen: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await s.search({ limit: 1000, ...(cursor && { cursor }) });
          seen.push(...page.entries.map((e) => e.fields?.i as number));
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        expect(seen.reverse()).toEqual(want);
        // the full-text index lost the same rows
        expect((await s.search({ text: '"lvl 8999"' })).entries).toHaveLength(0);
        expect((await s.search({ text: '"lvl 9001"' })).entries).toHaveLength(1);
        // only levels named: olderThan's levels stay whole
        expect(await s.cleanup({ olderThanByLevel: { info: at(12_000) } })).toBe(
          want.filter((i) => levels[i % 4] === "info").length,
        );
        for (const policy of [
          { olderThanByLevel: { loud: at(1) } },
          { olderThanByLevel: { debug: new Date(Number.NaN) } },
        ]) {
          const error = await s.cleanup(policy as never).catch((e: unknown) => e);
          expect((error as ValidationError).field).toBe("olderThanByLevel");
        }
      });

      it("deleteEntries deletes the ids given, skips unknown ones, and keeps the full-text index consistent", async () => {
        const s = await open();
        const ids = await s.storeMany(
          Array.from({ length: 50 }, (_, i) => entry(i, { message: `erase ${i}` })),
        );
        const doomed = ids.filter((_, i) => i % 3 === 0);
        expect(await s.deleteEntries([...doomed, 987_654_321])).toBe(doomed.length);
        expect(await s.deleteEntries(doomed)).toBe(0);
        expect(await s.deleteEntries([])).toBe(0);
        const left = (await s.search({ text: "erase", limit: 1000 })).entries.map((e) => e.id);
        expect(left.toSorted((a, b) => a - b)).toEqual(ids.filter((id) => !doomed.includes(id)));
        expect((await s.search({ text: '"erase 3"' })).entries).toEqual([]);
        expect(s.stats()).toMatchObject({ entriesErased: doomed.length, entriesDeleted: 0 });
        for (const bad of [[1.5], ["1"], Array.from({ length: 10_001 }, (_, i) => i)]) {
          const error = await s.deleteEntries(bad as number[]).catch((e: unknown) => e);
          expect((error as ValidationError).field).toBe("ids");
        }
      });

      it("counts deleted entries in stats as each chunk of a run commits, not at its end", async () => {
        const s = await open();
        await s.storeMany(Array.from({ length: 12_000 }, (_, i) => entry(i)));
        const seen = new Set<number>();
        let running = true;
        const watch = (async () => {
          while (running) {
            seen.add(s.stats().entriesDeleted);
            await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        const deleted = await s.cleanup({ maxEntries: 1000 }); // chunks of 5,000, 5,000 and 1,000
        running = false;
        await watch;
        expect(deleted).toBe(11_000);
        expect(s.stats().entriesDeleted).toBe(11_000);
        expect([...seen].filter((n) => n > 0 && n < 11_000)).toContain(5000);
      });
    });

    describe("cleanup by size", () => {
      it("deletes the oldest entries while the database is over maxBytes, nothing once under", async () => {
        const s = await open();
        await s.storeMany(
          Array.from({ length: 3000 }, (_, i) => entry(i, { message: `sized ${i} ${"x".repeat(300)}` })),
        );
        // far under what 3000 entries of ~300 bytes take, far over one
        const deleted = await s.cleanup({ maxBytes: 256 * 1024 });
        expect(deleted).toBeGreaterThan(1000);
        expect(deleted).toBeLessThan(3000);
        expect((await s.search({ limit: 1 })).entries[0]?.message).toMatch(/^sized 2999 /);
        expect((await s.search({ to: new Date(base + deleted * 1000), limit: 1 })).entries).toEqual([]);
        expect(await s.cleanup({ maxBytes: 1024 ** 4 })).toBe(0);
      });
    });

    describe("cleanup by count", () => {
      it("keeps the maxEntries newest by timestamp, as search orders them, whatever order they arrived in", async () => {
        const s = await open();
        await s.storeMany(Array.from({ length: 100 }, (_, i) => entry(i)));
        // arriving last, with timestamps older than everything: the oldest entries, not the newest
        await s.storeMany(Array.from({ length: 20 }, (_, i) => entry(-100 - i, { message: `late ${i}` })));
        // and one with a timestamp equal to the boundary's: (timestamp, id) decides, as in search
        await s.store(entry(70, { message: "tie" }));
        const newest = (await s.search({ limit: 30 })).entries.map((e) => e.id);
        expect(await s.cleanup({ maxEntries: 30 })).toBe(121 - 30);
        const left = (await s.search({ limit: 1000 })).entries.map((e) => e.id);
        expect(left).toEqual(newest);
        const counted = await s.countByBucket({
          from: new Date(0),
          to: new Date(base * 2),
          bucketMs: base * 2,
        });
        expect(counted.reduce((n, b) => n + b.count, 0)).toBe(30);
      });
    });

    describe("close", () => {
      it("drains what is queued, is idempotent, and rejects later calls", async () => {
        const s = await open();
        const pending = Array.from({ length: 500 }, (_, i) => s.store(entry(i)));
        await Promise.all([s.close(), s.close()]);
        const ids = await Promise.all(pending);
        expect(new Set(ids).size).toBe(500);
        await expect(s.store(entry(1))).rejects.toBeInstanceOf(StorageClosedError);
        await expect(s.search({})).rejects.toBeInstanceOf(StorageClosedError);
        const reopened = await open();
        expect((await reopened.search({ limit: 1000 })).entries).toHaveLength(500);
      });
    });

    it("reports stats and health", async () => {
      const s = await open();
      await s.storeMany(Array.from({ length: 20 }, (_, i) => entry(i)));
      await s.store({ message: "x", level: "bogus" }).catch(() => undefined);
      const stats = s.stats();
      expect(stats.entriesStored).toBe(20);
      expect(stats.rejectedByReason.validation).toBe(1);
      expect(stats.batchSize.count).toBeGreaterThan(0);
      expect(stats.lastCommitAt).toBeInstanceOf(Date);
      expect(s.health()).toMatchObject({ status: "ok", reasons: [] });
    });

    it("reports each committed batch's size and latencies to batch listeners", async () => {
      const s = await open();
      const batches: { size: number; commitMs: number; waits: number }[] = [];
      const off = s.onBatch((b) =>
        batches.push({ size: b.size, commitMs: b.commitMs, waits: b.enqueueToCommitMs.length }),
      );
      await s.storeMany(Array.from({ length: 30 }, (_, i) => entry(i)));
      off();
      await s.store(entry(99));
      expect(batches.reduce((n, b) => n + b.size, 0)).toBe(30);
      for (const b of batches) {
        expect(b.waits).toBe(b.size);
        expect(b.commitMs).toBeGreaterThanOrEqual(0);
      }
    });

    it("logs a throwing batch listener and keeps writing: every entry committed once, none rejected", async () => {
      const logs = captureLogs();
      const s = await open({ logger: logs.logger, writeTimeoutMs: 5000 });
      s.onBatch(() => {
        throw new Error("metrics exporter broke");
      });
      const first = await s.store(entry(1));
      const rest = await s.storeMany([entry(2), entry(3)]);
      expect(rest[0]).toBeGreaterThan(first);
      expect((await s.getRecent(10)).map((e) => e.id)).toEqual([...rest].reverse().concat(first));
      expect(logs.messages("batch listener threw").length).toBeGreaterThan(0);
    });

    it("logs an async commit or batch listener that rejects and keeps writing (no unhandled rejection)", async () => {
      const logs = captureLogs();
      const s = await open({ logger: logs.logger, writeTimeoutMs: 5000 });
      s.onCommit(async () => {
        throw new Error("live tail subscriber broke");
      });
      s.onBatch(async () => {
        throw new Error("metrics exporter broke");
      });
      const first = await s.store(entry(1));
      const second = await s.store(entry(2));
      expect((await s.getRecent(10)).map((e) => e.id)).toEqual([second, first]);
      await expect.poll(() => logs.messages("commit listener threw").length).toBeGreaterThanOrEqual(2);
      await expect.poll(() => logs.messages("batch listener threw").length).toBeGreaterThanOrEqual(2);
      expect(logs.messages("commit listener threw")[0]).toMatchObject({
        err: { message: "live tail subscriber broke" },
      });
      expect(logs.messages("batch listener threw")[0]).toMatchObject({
        err: { message: "metrics exporter broke" },
      });
    });

    it("notifies commit listeners with the committed entries", async () => {
      const s = await open();
      const seen: number[] = [];
      const off = s.onCommit((entries) => seen.push(...entries.map((e) => e.id)));
      const ids = await s.storeMany([entry(1), entry(2)]);
      off();
      await s.store(entry(3));
      expect(seen).toEqual(ids);
    });
  });
}

/** Row count of a local database file through a raw connection (bypasses the storage). */
export function countRowsInFile(url: string): number {
  const db = new Database(filePathOf(url));
  try {
    const row = db.prepare("SELECT (SELECT count(*) FROM log_entries) AS n").get() as { n: number };
    return Number(row.n);
  } finally {
    db.close();
  }
}
