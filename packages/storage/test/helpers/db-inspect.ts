import Database from "libsql";

/** Opens the database file directly (its own connection: what a restart would see). */
export function inspect<T>(dbPath: string, read: (db: Database.Database) => T): T {
  const db = new Database(dbPath);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

export function integrityCheck(dbPath: string): string {
  return inspect(dbPath, (db) =>
    (db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join("; "),
  );
}

/** id → message of every row whose message starts with `prefix`. */
export function rowsWithPrefix(dbPath: string, prefix: string): Map<number, string> {
  return inspect(dbPath, (db) => {
    const rows = db
      .prepare("SELECT id, message FROM log_entries WHERE substr(message, 1, ?) = ?")
      .all(prefix.length, prefix) as { id: number; message: string }[];
    return new Map(rows.map((r) => [Number(r.id), r.message]));
  });
}

export function countMessage(dbPath: string, message: string): number {
  return inspect(dbPath, (db) =>
    Number(
      (db.prepare("SELECT count(*) AS n FROM log_entries WHERE message = ?").get(message) as { n: number }).n,
    ),
  );
}
