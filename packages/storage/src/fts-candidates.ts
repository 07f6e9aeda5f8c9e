import { and, type SQL, sql } from "drizzle-orm";
import type { ReadDb } from "./reader/native-read-db.js";
import { logEntries } from "./schema.js";

export type Row = typeof logEntries.$inferSelect;

/**
 * The ids of a full-text query's newest matches (by id), at most `limit`, optionally none above
 * `atMost`. FTS5 answers "newest first, stop after k" cheaply (0.3–1 ms for 400 of a term's 62k
 * matches on 1M rows); constrained any other way (a rowid range, ascending) it reads the term's
 * whole list, 3–5 ms, more than listing it all.
 */
export async function newestMatchIds(
  db: ReadDb,
  text: string,
  limit: number,
  atMost?: number,
): Promise<number[]> {
  const bound = atMost === undefined ? sql`` : sql` AND rowid <= ${atMost}`;
  const rows = await db.values<[number]>(
    sql`SELECT rowid AS id FROM log_entries_fts WHERE log_entries_fts MATCH ${text}${bound} ORDER BY rowid DESC LIMIT ${limit}`,
  );
  return rows.map((r) => Number(r[0]));
}

/**
 * Up to `rows` of the given ids' rows that pass the filters, in the search order (newest first).
 * NOT INDEXED keeps SQLite to rowid lookups of the ids: with a level or source filter it would
 * otherwise walk that filter's index over every row of the level (measured: 19 ms instead of 2).
 */
export async function rowsAmong(
  db: ReadDb,
  ids: number[],
  filters: (SQL | undefined)[],
  rows: number,
): Promise<Row[]> {
  const found = await db.values<RowValues>(
    sql`SELECT ${ROW_COLUMNS} FROM ${logEntries} NOT INDEXED WHERE ${and(sql`${logEntries.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`, ...filters)} ORDER BY ${logEntries.timestamp} DESC, ${logEntries.id} DESC LIMIT ${rows}`,
  );
  return found.map(rowFromValues);
}

/** A row's columns, in the order `rowFromValues` reads them (raw statements select them so). */
export const ROW_COLUMNS = sql.join(
  [
    logEntries.id,
    logEntries.timestamp,
    logEntries.level,
    logEntries.source,
    logEntries.message,
    logEntries.fields,
  ],
  sql`, `,
);

export type RowValues = [number, number, number, string, string, string | null];

export function rowFromValues(r: RowValues): Row {
  // index, not destructure: @libsql/client's rows are array-like, not iterable
  return {
    id: Number(r[0]),
    timestamp: Number(r[1]),
    level: Number(r[2]),
    source: String(r[3]),
    message: String(r[4]),
    fields: r[5] === null ? null : String(r[5]),
  };
}
