import { existsSync, readdirSync } from "node:fs";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { backupDatabase, ConfigError, openLogStorage } from "../src/index.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

const batch = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({
    source: "backup",
    message: `${tag} entry ${i} timeout ${"x".repeat(200)}`,
  }));

describe("backupDatabase", () => {
  it("copies a database while entries are written into it: every entry acknowledged before it, none torn", async () => {
    const storage = await openLogStorage({ url: temp.url("live.db") });
    let acknowledged = 0;
    let writing = true;
    const writer = (async () => {
      for (let round = 0; writing; round++)
        acknowledged += (await storage.storeMany(batch(1000, `r${round}`))).length;
    })();
    try {
      while (acknowledged < 60_000) await new Promise((r) => setTimeout(r, 10));
      const before = acknowledged;
      const result = await backupDatabase({ url: temp.url("live.db"), to: temp.path("copy.db") });
      const after = acknowledged;
      writing = false;
      await writer;
      expect(after).toBeGreaterThan(before); // writes went on around it
      expect(result.entries).toBeGreaterThanOrEqual(before);
      expect(result.entries).toBeLessThanOrEqual(after);
      expect(result.lastId).toBe(result.entries); // ids 1…n: whole batches, no gap
      expect(result.bytes).toBeGreaterThan(0);
      expect(result.path).toBe(temp.path("copy.db"));
      expect(existsSync(`${temp.path("copy.db")}.partial`)).toBe(false);

      // one file (no -wal to carry along), returning retention's pages like its source
      const raw = new Database(temp.path("copy.db"), { readonly: true });
      expect(raw.prepare("PRAGMA journal_mode").raw().get()).toEqual(["delete"]);
      expect(raw.prepare("PRAGMA auto_vacuum").raw().get()).toEqual([2]); // incremental
      raw.close();
      // the copy is a batchlog database: it opens, searches and takes writes
      const copy = await openLogStorage({ url: temp.url("copy.db") });
      try {
        expect((await copy.search({ text: "timeout", limit: 5 })).entries).toHaveLength(5);
        expect(await copy.store({ message: "written into the copy" })).toBe(result.entries + 1);
      } finally {
        await copy.close();
      }
      // and the source went on writing
      expect(await storage.store({ message: "after the backup" })).toBe(acknowledged + 1);
    } finally {
      writing = false;
      await writer;
      await storage.close();
    }
  });

  it("refuses a destination that exists, a source that does not, and a libSQL server URL", async () => {
    const storage = await openLogStorage({ url: temp.url("small.db") });
    await storage.storeMany(batch(10, "small"));
    await storage.close();
    await backupDatabase({ url: temp.url("small.db"), to: temp.path("small-copy.db") });
    await expect(
      backupDatabase({ url: temp.url("small.db"), to: temp.path("small-copy.db") }),
    ).rejects.toThrow(/to: .*small-copy\.db exists already/);
    await expect(backupDatabase({ url: temp.url("missing.db"), to: temp.path("m.db") })).rejects.toThrow(
      ConfigError,
    );
    expect(existsSync(temp.path("missing.db"))).toBe(false); // not created by looking
    await expect(
      backupDatabase({ url: "libsql://db.example.com", to: temp.path("remote.db") }),
    ).rejects.toThrow(/local file/);
  });

  it("leaves nothing behind when the copy cannot be written", async () => {
    const storage = await openLogStorage({ url: temp.url("src.db") });
    await storage.storeMany(batch(10, "src"));
    await storage.close();
    const to = `${temp.path("no-such-dir")}/copy.db`;
    await expect(backupDatabase({ url: temp.url("src.db"), to })).rejects.toThrow();
    expect(readdirSync(temp.dir).filter((f) => f.startsWith("no-such-dir"))).toEqual([]);
  });
});
