import { desc, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { openLogStorage } from "../src/index.js";
import { openNativeReadDb } from "../src/reader/native-read-db.js";
import { logEntries } from "../src/schema.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

describe("openNativeReadDb (the reader thread's connection)", () => {
  it("answers Drizzle's selects, gets, raw values and statements that return no rows", async () => {
    const storage = await openLogStorage({ url: temp.url("native.db") });
    await storage.storeMany([
      { timestamp: 1_000, message: "first", fields: { n: 1 } },
      { timestamp: 2_000, message: "second", level: "error" },
    ]);
    await storage.close();
    const { db, close } = openNativeReadDb(temp.path("native.db"), ["PRAGMA busy_timeout = 1000"]);
    try {
      const rows = await db.select().from(logEntries).orderBy(desc(logEntries.timestamp));
      expect(rows.map((r) => [r.message, r.level, r.fields])).toEqual([
        ["second", 5, null],
        ["first", 3, '{"n":1}'],
      ]);
      const one = await db.select({ message: logEntries.message }).from(logEntries).limit(1).get();
      expect(one).toEqual({ message: "first" });
      expect(await db.select().from(logEntries).where(sql`0`).get()).toBeUndefined();
      expect(await db.values(sql`SELECT count(*), max(${logEntries.timestamp}) FROM ${logEntries}`)).toEqual([
        [2, 2000],
      ]);
      // a statement without rows (raw mode would refuse it) runs too
      await db.run(sql`CREATE TEMP TABLE scratch (a)`);
      await db.run(sql`INSERT INTO scratch VALUES (${7})`);
      expect(await db.values(sql`SELECT a FROM scratch`)).toEqual([[7]]);
    } finally {
      close();
    }
  });

  it("passes SQLite's error code through, as the text-query handler expects", async () => {
    const storage = await openLogStorage({ url: temp.url("errors.db") });
    await storage.close();
    const { db, close } = openNativeReadDb(temp.path("errors.db"), []);
    try {
      const error = await db
        .values(sql`SELECT rowid FROM log_entries_fts WHERE log_entries_fts MATCH ${'"unterminated'}`)
        .catch((e: unknown) => e);
      expect((error as { cause?: { code?: string } }).cause?.code).toBe("SQLITE_ERROR");
    } finally {
      close();
    }
  });
});
