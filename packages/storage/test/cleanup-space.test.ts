import { statSync } from "node:fs";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { filePathOf } from "../src/file-url.js";
import { type BatchConfigInput, openLogStorage } from "../src/index.js";
import { SPACE_BASE as base, spaceEntries as entries, inspectFile as inspect } from "./helpers/file-space.js";
import { captureLogs } from "./helpers/log-capture.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

const variants: [string, BatchConfigInput][] = [
  ["batched, writer thread", {}],
  ["batched, in-process writer", { writerThread: false, readerThread: false }],
];

describe("cleanup returns the space it frees", () => {
  for (const [name, config] of variants) {
    it(`${name}: a new file shrinks after cleanup, keeps every remaining entry, and stays consistent`, async () => {
      const url = temp.url(`space-${name.replace(/\W+/g, "-")}.db`);
      const path = filePathOf(url);
      const { logger, messages } = captureLogs();
      let s = await openLogStorage({ ...config, url, logger });
      for (let i = 0; i < 8; i++) await s.storeMany(entries(i * 1000, 1000));
      await s.close();
      const full = statSync(path).size;
      expect(inspect(path).autoVacuum).toBe(2); // INCREMENTAL, chosen when the file was created

      s = await openLogStorage({ ...config, url, logger });
      const deleted = await s.cleanup({ olderThan: new Date(base + 6000 * 1000) });
      expect(deleted).toBe(6000);
      const stats = s.stats();
      expect(stats.databaseBytes).toBeLessThan(full * 0.5);
      const released = messages("cleanup returned free space to the filesystem");
      expect(released).toHaveLength(1);
      expect(released[0]).toMatchObject({ deleted: 6000, releasedBytes: expect.any(Number) });
      expect(released[0]?.releasedBytes as number).toBeGreaterThan(full * 0.5);
      // what is left reads back whole: 2000 entries, full text and fields included
      const page = await s.search({ text: "payload", limit: 1000 });
      expect(page.entries).toHaveLength(1000);
      expect(page.entries[0]?.fields).toEqual({ n: 7999 });
      expect((await s.search({ fields: { n: "6000" } })).entries).toHaveLength(1);
      expect((await s.search({ text: "6000" })).entries.map((e) => e.fields?.n)).toEqual([6000]);
      await s.store({ message: "after cleanup" });
      await s.close();

      const after = inspect(path);
      expect(after).toMatchObject({ freePages: 0, integrity: "ok" });
      expect(statSync(path).size).toBeLessThan(full * 0.5);
      const db = new Database(path);
      try {
        db.exec("INSERT INTO log_entries_fts(log_entries_fts) VALUES ('integrity-check')");
        expect(db.prepare("SELECT count(*) FROM log_entries").raw().get()).toEqual([2001]);
      } finally {
        db.close();
      }
    });
  }

  it("releases pages while ingestion runs: every acknowledged new entry is kept, the file stays consistent", async () => {
    const url = temp.url("busy.db");
    const s = await openLogStorage({ url });
    for (let i = 0; i < 8; i++) await s.storeMany(entries(i * 1000, 1000));
    let stop = false;
    const acked: number[] = [];
    const producers = Array.from({ length: 8 }, async (_, p) => {
      for (let i = 0; !stop; i++) {
        const batch = Array.from({ length: 50 }, (_, k) => ({
          message: `new ${p}-${i}-${k}`,
          fields: { p },
        }));
        acked.push(...(await s.storeMany(batch)));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const deleted = await s.cleanup({ olderThan: new Date(base + 8000 * 1000) });
    stop = true;
    await Promise.all(producers);
    expect(deleted).toBe(8000);
    expect(acked.length).toBeGreaterThan(0);
    await s.close();
    const db = new Database(filePathOf(url));
    try {
      const ids = db.prepare("SELECT id FROM log_entries ORDER BY id").raw().all() as [number][];
      expect(ids.map(([id]) => id)).toEqual([...acked].sort((a, b) => a - b));
      db.exec("INSERT INTO log_entries_fts(log_entries_fts) VALUES ('integrity-check')");
      expect(db.prepare("PRAGMA integrity_check").raw().get()).toEqual(["ok"]);
    } finally {
      db.close();
    }
  });

  it("the direct baseline deletes without releasing (its @libsql/client connection cannot run incremental_vacuum)", async () => {
    const url = temp.url("direct.db");
    const { logger, lines } = captureLogs();
    const s = await openLogStorage({ url, implementation: "direct", logger });
    await s.storeMany(entries(0, 2000));
    expect(await s.cleanup({ maxEntries: 500 })).toBe(1500);
    expect((await s.search({ limit: 1000 })).entries).toHaveLength(500);
    await s.close();
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(inspect(filePathOf(url))).toMatchObject({ autoVacuum: 2, integrity: "ok" });
  });

  it("a file created before (auto_vacuum off) keeps its size: the freed pages are reused, nothing fails", async () => {
    const url = temp.url("legacy.db");
    const path = filePathOf(url);
    const legacy = new Database(path);
    legacy.exec("CREATE TABLE created_by_an_older_version (x)"); // the file has pages: no auto_vacuum
    legacy.close();
    const { logger, messages } = captureLogs();
    const s = await openLogStorage({ url, logger });
    for (let i = 0; i < 4; i++) await s.storeMany(entries(i * 1000, 1000));
    expect(await s.cleanup({ maxEntries: 1000 })).toBe(3000);
    expect(messages("cleanup returned free space to the filesystem")).toEqual([]);
    await s.close();
    const after = inspect(path);
    expect(after.autoVacuum).toBe(0);
    expect(after.freePages).toBeGreaterThan(0);
    expect(after.integrity).toBe("ok");
  });
});

describe("cleanup by size (maxBytes)", () => {
  const size = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      const one = (sql: string) => (db.prepare(sql).raw().get() as number[])[0] as number;
      return (one("PRAGMA page_count") - one("PRAGMA freelist_count")) * one("PRAGMA page_size");
    } finally {
      db.close();
    }
  };
  const variantsWithDirect: [string, BatchConfigInput][] = [
    ...variants,
    ["direct", { implementation: "direct" }],
  ];
  for (const [name, config] of variantsWithDirect) {
    it(`${name}: deletes the oldest entries by the share the database is over, then nothing while under`, async () => {
      const url = temp.url(`bytes-${name.replace(/\W+/g, "-")}.db`);
      const path = filePathOf(url);
      const s = await openLogStorage({ ...config, url });
      try {
        for (let i = 0; i < 6; i++) await s.storeMany(entries(i * 1000, 1000));
        const before = size(path);
        const maxBytes = Math.floor(before / 2);
        // at least the first round's share (keep 6000 × ½ × 0.95: 2850), then more while the
        // pages in use are still over (the full-text index gives back less than its share)
        const deleted = await s.cleanup({ maxBytes });
        expect(deleted).toBeGreaterThanOrEqual(3150);
        expect(deleted).toBeLessThan(6000);
        expect(size(path)).toBeLessThanOrEqual(maxBytes);
        // the oldest went: what is left starts at the first entry not deleted
        const left = await s.search({ to: new Date(base + (deleted + 1) * 1000), limit: 5 });
        expect(left.entries.map((e) => e.message.split(" ")[1])).toEqual([String(deleted)]);
        expect((await s.search({ limit: 1 })).entries[0]?.message).toMatch(/^entry 5999 /);
        expect(await s.cleanup({ maxBytes })).toBe(0); // under it now: nothing
        expect(await s.cleanup({ maxBytes: before })).toBe(0);
      } finally {
        await s.close();
      }
    });
  }

  it("refuses a maxBytes that is not a positive integer", async () => {
    const s = await openLogStorage({ url: temp.url("bytes-invalid.db") });
    try {
      await expect(s.cleanup({ maxBytes: 0 })).rejects.toThrow(/maxBytes: must be a positive integer/);
      await expect(s.cleanup({ maxBytes: 1.5 })).rejects.toThrow(/maxBytes/);
    } finally {
      await s.close();
    }
  });
});

describe("cleanup while the storage closes", () => {
  const closing: [string, BatchConfigInput][] = [
    ...variants,
    ["direct", { implementation: "direct", readerThread: false }],
  ];
  for (const [name, config] of closing) {
    it(`${name}: a running cleanup ends after its current chunk with the rows it deleted; close() waits for it`, async () => {
      const url = temp.url(`closing-${name.replace(/\W+/g, "-")}.db`);
      const seed = await openLogStorage({ url, diskReserveBytes: 0 });
      await seed.storeMany(entries(0, 20_000));
      await seed.close();

      const storage = await openLogStorage({ url, diskReserveBytes: 0, ...config });
      const cleanup = storage.cleanup({ olderThan: new Date(base + 30_000 * 1000) });
      const closed = storage.close();
      const deleted = await cleanup;
      await closed;
      expect(deleted).toBeLessThan(20_000);
      expect(deleted % 5000).toBe(0); // whole chunks: each one is a transaction

      const reopened = await openLogStorage({ url, diskReserveBytes: 0 });
      try {
        expect(await reopened.cleanup({ maxEntries: 0 })).toBe(20_000 - deleted);
      } finally {
        await reopened.close();
      }
      expect(inspect(filePathOf(url)).integrity).toBe("ok");
    });
  }
});
