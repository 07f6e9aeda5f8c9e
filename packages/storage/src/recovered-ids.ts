import Database from "libsql";
import type { OpenedDatabase } from "./database.js";

/**
 * The highest id a damaged database handed out, when it can still say (its sqlite_sequence row,
 * else max(id)); undefined when neither can be read. Best effort: the file failed its check.
 */
export function lastIdOf(path: string): number | undefined {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch {
    return undefined;
  }
  try {
    for (const sql of [
      "SELECT seq FROM sqlite_sequence WHERE name = 'log_entries'",
      "SELECT max(id) FROM log_entries",
    ]) {
      try {
        const value = (db.prepare(sql).raw().get() as unknown[] | undefined)?.[0];
        if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
      } catch {
        // that page is among the damaged ones: try the next way
      }
    }
    return undefined;
  } finally {
    db.close();
  }
}

/**
 * Starts a new database's ids after the old one's: links to entries (`?entry=`), saved cursors
 * and a live tail's Last-Event-ID from before the recovery would otherwise name new entries.
 */
export async function continueIds(fresh: OpenedDatabase, lastId: number): Promise<void> {
  await fresh.client.execute({
    sql:
      "INSERT INTO sqlite_sequence (name, seq) SELECT 'log_entries', ? " +
      "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'log_entries')",
    args: [lastId],
  });
}
