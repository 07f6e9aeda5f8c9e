import type { Client } from "@libsql/client";

// Same triggers as drizzle/0001_fts.sql, which creates them; `fullText: false` drops them and
// switching it back on re-creates them and rebuilds the index from log_entries.
const TRIGGERS = {
  log_entries_fts_insert: `CREATE TRIGGER log_entries_fts_insert AFTER INSERT ON log_entries BEGIN
  INSERT INTO log_entries_fts(rowid, message) VALUES (new.id, new.message);
END`,
  log_entries_fts_delete: `CREATE TRIGGER log_entries_fts_delete AFTER DELETE ON log_entries BEGIN
  INSERT INTO log_entries_fts(log_entries_fts, rowid, message) VALUES ('delete', old.id, old.message);
END`,
  log_entries_fts_update: `CREATE TRIGGER log_entries_fts_update AFTER UPDATE OF message ON log_entries BEGIN
  INSERT INTO log_entries_fts(log_entries_fts, rowid, message) VALUES ('delete', old.id, old.message);
  INSERT INTO log_entries_fts(rowid, message) VALUES (new.id, new.message);
END`,
};

export async function syncFullTextTriggers(client: Client, enabled: boolean): Promise<void> {
  const existing = await client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'log_entries_fts_%'",
  );
  const present = new Set(existing.rows.map((r) => String(r[0])));
  const names = Object.keys(TRIGGERS) as (keyof typeof TRIGGERS)[];
  if (enabled) {
    const missing = names.filter((n) => !present.has(n));
    if (missing.length === 0) return;
    await client.batch(
      [
        ...names.map((n) => `DROP TRIGGER IF EXISTS ${n}`),
        ...names.map((n) => TRIGGERS[n]),
        "INSERT INTO log_entries_fts(log_entries_fts) VALUES ('rebuild')",
      ],
      "write",
    );
  } else if (present.size > 0) {
    await client.batch(
      names.map((n) => `DROP TRIGGER IF EXISTS ${n}`),
      "write",
    );
  }
}

export async function fullTextEnabled(client: Client): Promise<boolean> {
  const r = await client.execute(
    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'log_entries_fts_insert'",
  );
  return Number(r.rows[0]?.[0] ?? 0) > 0;
}
