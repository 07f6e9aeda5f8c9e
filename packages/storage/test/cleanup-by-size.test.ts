import { randomBytes } from "node:crypto";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { filePathOf } from "../src/file-url.js";
import { type BatchConfigInput, openLogStorage } from "../src/index.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

const base = Date.UTC(2026, 10, 1);
/** Many distinct terms per entry, as request logs have: the full-text index is a third of the file. */
const entries = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return {
      timestamp: base + n * 1000,
      message: `req ${n} user u${(n * 7919) % 50_000} GET /api/v${n % 13}/items/${n % 1000} status ${200 + (n % 5)} took ${n % 997}ms trace ${randomBytes(6).toString("hex")}`,
    };
  });

function measure(path: string, compact = false) {
  const db = new Database(path);
  try {
    const one = (sql: string) => Number((db.prepare(sql).raw().all() as number[][])[0]?.[0]);
    if (compact) db.exec("INSERT INTO log_entries_fts(log_entries_fts) VALUES ('optimize')");
    return {
      usedBytes: (one("PRAGMA page_count") - one("PRAGMA freelist_count")) * one("PRAGMA page_size"),
      entries: one("SELECT count(*) FROM log_entries"),
    };
  } finally {
    db.close();
  }
}

const variants: [string, BatchConfigInput][] = [
  ["batched, writer thread", {}],
  ["batched, in-process writer", { writerThread: false, readerThread: false }],
  ["direct", { implementation: "direct" }],
];

describe("cleanup by size (maxBytes) with full text", () => {
  for (const [name, config] of variants) {
    it(`${name}: keeps close to as many entries as fit, not only those the deleted rows' FTS5 markers leave room for`, async () => {
      const url = temp.url(`size-${name.replace(/\W+/g, "-")}.db`);
      const path = filePathOf(url);
      const seed = await openLogStorage({ url, diskReserveBytes: 0 });
      for (let i = 0; i < 40; i++) await seed.storeMany(entries(i * 1000, 1000));
      await seed.close();
      const maxBytes = Math.floor(measure(path).usedBytes * 0.3);

      const s = await openLogStorage({ ...config, url, diskReserveBytes: 0 });
      try {
        expect(await s.cleanup({ maxBytes })).toBeGreaterThan(20_000);
      } finally {
        await s.close();
      }
      const after = measure(path);
      expect.soft(after.usedBytes).toBeLessThanOrEqual(maxBytes);
      // what fits: the bytes per entry of what is left, its full-text index compacted
      const compact = measure(path, true);
      const fits = Math.floor((maxBytes * compact.entries) / compact.usedBytes);
      expect.soft(after.entries).toBeGreaterThanOrEqual(fits * 0.8);
      expect(after.entries).toBeLessThanOrEqual(fits);
    });
  }
});
