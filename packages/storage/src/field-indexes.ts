import type { Client } from "@libsql/client";

const PREFIX = "log_entries_field_";

/**
 * The SQL text of a top-level `fields` key's value as a `fields` filter compares it: a string as
 * it is; a number, boolean, object or array as its JSON text, as stored (JSON.stringify wrote it,
 * so a number reads as JavaScript prints it: `0.30000000000000004`, `1e+21`, not SQLite's
 * 15-digit `0.3`); null or a missing key as NULL, which matches nothing. The same rendering as
 * the live tail's (`String(value)`), so a filter finds what the tail shows and the UI offers.
 * The reader's filter and the expression index use this same text, which is what lets SQLite
 * match the one to the other (an expression index is used only for an identical expression,
 * with the path as a literal).
 */
export function fieldValueSql(key: string): string {
  const path = `'${fieldPath(key).replaceAll("'", "''")}'`;
  return `CASE json_type(fields, ${path}) WHEN 'text' THEN fields ->> ${path} WHEN 'null' THEN NULL ELSE fields -> ${path} END`;
}

/**
 * The JSON path of a top-level `fields` key. SQLite reads JSON escapes inside a quoted label
 * (`$."a\\b"` is the key `a\b`), so the key is written JSON-escaped; but the label ends at the
 * first `"`, escaped or not, so a key containing `"` has no path: see `addressableByPath`.
 */
function fieldPath(key: string): string {
  return `$."${JSON.stringify(key).slice(1, -1)}"`;
}

/** Whether `fieldPath` can name the key (measured on SQLite 3.45: any key without a `"`). */
export function addressableByPath(key: string): boolean {
  return !key.includes('"');
}

/** A stable index name for a key: its characters made identifier-safe, plus a hash against clashes. */
function indexName(key: string): string {
  let hash = 0;
  for (const ch of key) hash = (Math.imul(hash, 31) + (ch.codePointAt(0) ?? 0)) >>> 0;
  return `${PREFIX}${key.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 40)}_${hash.toString(36)}`;
}

function indexSql(name: string, key: string): string {
  return `CREATE INDEX "${name}" ON log_entries (${fieldValueSql(key)}, timestamp)`;
}

/**
 * Creates an index on (value of `fields.<key>`, timestamp) for each configured key and drops the
 * ones no longer configured. A filter on an indexed key is an index search, newest first, instead
 * of a scan that evaluates JSON on every row; each index costs a B-tree insert per entry written.
 */
export async function syncFieldIndexes(client: Client, keys: readonly string[]): Promise<void> {
  const existing = await client.execute(
    `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'log_entries' AND name LIKE '${PREFIX}%'`,
  );
  const present = new Map(existing.rows.map((r) => [String(r[0]), String(r[1])]));
  const wanted = new Map(keys.map((key) => [indexName(key), indexSql(indexName(key), key)]));
  // An index built on another expression (an older path spelling) is rebuilt: the reader's
  // filter uses only an index whose expression is textually its own.
  const stale = [...present].filter(([name, sql]) => wanted.get(name) !== sql).map(([name]) => name);
  const statements = [
    ...stale.map((name) => `DROP INDEX IF EXISTS "${name}"`),
    ...[...wanted].filter(([name, sql]) => present.get(name) !== sql).map(([, sql]) => sql),
  ];
  if (statements.length > 0) await client.batch(statements, "write");
}
