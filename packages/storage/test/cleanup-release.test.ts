import { statSync } from "node:fs";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { filePathOf } from "../src/file-url.js";
import { type BatchConfigInput, openLogStorage } from "../src/index.js";
import { SPACE_BASE as base, spaceEntries as entries, inspectFile as inspect } from "./helpers/file-space.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

const variants: [string, BatchConfigInput][] = [
  ["batched, writer thread", {}],
  ["batched, in-process writer", { writerThread: false, readerThread: false }],
];

describe("free pages go back to the filesystem", () => {
  for (const [name, config] of variants) {
    const file = (what: string) => temp.url(`${what}-${name.replace(/\W+/g, "-")}.db`);

    it(`${name}: an erase (deleteEntries, a page of ids at a time as DELETE /api/logs sends them) shrinks the file`, async () => {
      const url = file("erase");
      const path = filePathOf(url);
      const seed = await openLogStorage({ ...config, url, diskReserveBytes: 0 });
      for (let i = 0; i < 8; i++) await seed.storeMany(entries(i * 1000, 1000));
      await seed.close();
      const full = statSync(path).size;
      const reopened = await openLogStorage({ ...config, url, diskReserveBytes: 0 });
      try {
        let cursor: string | undefined;
        do {
          const page = await reopened.search({
            to: new Date(base + 7000 * 1000),
            limit: 1000,
            ...(cursor && { cursor }),
          });
          await reopened.deleteEntries(page.entries.map((e) => e.id));
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        expect(reopened.stats().entriesErased).toBe(7000);
        // the database's own size (another connection reads it through the WAL): the file
        // follows at the next checkpoint
        expect(inspect(path)).toMatchObject({ freePages: 0, entries: 1000 });
        expect(inspect(path).bytes).toBeLessThan(full * 0.4);
        const left = await reopened.search({ text: "payload", limit: 1000 });
        expect(left.entries).toHaveLength(1000);
        expect(left.nextCursor).toBeUndefined();
      } finally {
        await reopened.close();
      }
      expect(inspect(path)).toMatchObject({ freePages: 0, integrity: "ok", entries: 1000 });
      expect(statSync(path).size).toBeLessThan(full * 0.4);
    });

    it(`${name}: a retention run that deletes nothing still returns the free pages it finds`, async () => {
      const url = file("nothing");
      const path = filePathOf(url);
      const seed = await openLogStorage({ ...config, url, diskReserveBytes: 0 });
      for (let i = 0; i < 8; i++) await seed.storeMany(entries(i * 1000, 1000));
      await seed.close();
      // free pages left behind without a release: here by another connection's delete (in
      // batchlog, a run cut short by a shutdown, or an erase before this fix)
      const db = new Database(path);
      db.exec("DELETE FROM log_entries WHERE id <= 6000");
      db.close();
      const before = inspect(path);
      expect(before).toMatchObject({ autoVacuum: 2, entries: 2000 });
      expect(before.freePages).toBeGreaterThan(500);
      const full = statSync(path).size;

      const s = await openLogStorage({ ...config, url, diskReserveBytes: 0 });
      try {
        expect(await s.cleanup({ olderThan: new Date(base) })).toBe(0);
        expect(s.stats().databaseBytes).toBeLessThan(full * 0.5);
      } finally {
        await s.close();
      }
      expect(inspect(path)).toMatchObject({ freePages: 0, integrity: "ok", entries: 2000 });
    });
  }
});
