// Fixtures of the disk-space tests: entries of ~500 bytes a second apart, and what the file holds.
import Database from "libsql";

/** The first entry's timestamp. */
export const SPACE_BASE = Date.UTC(2026, 10, 1);

/** `count` entries stamped a second apart from `base + from` s, each ~500 bytes. */
export const spaceEntries = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    timestamp: SPACE_BASE + (from + i) * 1000,
    message: `entry ${from + i} ${"payload ".repeat(60)}`,
    fields: { n: from + i },
  }));

/** The file's auto_vacuum mode, free pages, integrity, entries and size, read by another connection. */
export function inspectFile(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    const one = (sql: string) => (db.prepare(sql).raw().get() as unknown[])[0];
    return {
      autoVacuum: one("PRAGMA auto_vacuum"),
      freePages: one("PRAGMA freelist_count") as number,
      integrity: one("PRAGMA integrity_check"),
      entries: one("SELECT count(*) FROM log_entries") as number,
      bytes: (one("PRAGMA page_count") as number) * (one("PRAGMA page_size") as number),
    };
  } finally {
    db.close();
  }
}
