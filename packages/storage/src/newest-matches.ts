import { and, gt, gte, type SQL, sql } from "drizzle-orm";
import { newestMatchIds, type Row, rowsAmong } from "./fts-candidates.js";
import type { ReadDb } from "./reader/native-read-db.js";
import { logEntries } from "./schema.js";

/** Candidate counts tried, as multiples of the rows a page needs. */
const CANDIDATE_FACTORS = [4, 32];
/**
 * The proof below scans the time index over the newest rows, at most about as many as the
 * candidates span in ids; past this many the match-driven plans are cheaper.
 */
const MAX_PROOF_SPAN = 50_000;
/** Out-of-order entries checked against the text one by one; more than this and every match is read. */
const MAX_OLDER = 16;

export interface NewestMatchesQuery {
  /** The FTS5 query. */
  text: string;
  /** Every other filter of the search (levels, sources, from, fields); no upper time bound, no cursor. */
  filters: SQL[];
  from?: number;
  /** Rows wanted: the page and one more (whether a next page exists). */
  rows: number;
}

/**
 * The first page of a full-text search, found from the newest matches instead of all of them.
 *
 * FTS5 lists a term's newest rowids cheaply (ORDER BY rowid DESC LIMIT k: 0.3 ms for 400 on 1M
 * rows) while listing all of a common term's matches costs as much as the rest of the query put
 * together (62k rowids: 2 ms to list, 8 ms to list and walk). Ids grow with insertion, and log
 * entries mostly arrive in time order, so the newest-by-time page is almost always among the
 * newest-by-id matches. "Almost" is checked, not assumed: the rows older than every candidate
 * (by id) that sort above the page's last row are listed, whatever they hold; those of them that
 * match the text join the candidates, and the page is sorted again. When more than a few such
 * rows exist (a source whose clock runs ahead), or too few candidates pass the other filters to
 * fill the page, this returns undefined and the caller runs a plan that reads every match.
 */
export async function newestMatches(db: ReadDb, query: NewestMatchesQuery): Promise<Row[] | undefined> {
  for (const factor of CANDIDATE_FACTORS) {
    const wanted = factor * query.rows;
    const ids = await newestMatchIds(db, query.text, wanted);
    const rows = await rowsAmong(db, ids, query.filters, query.rows);
    // fewer candidates than asked for: they are every match, so the page is exact
    if (ids.length < wanted) return rows;
    const floor = ids.at(-1) ?? 0;
    const last = rows.length === query.rows ? rows.at(-1) : undefined;
    // a partial page is complete only down to `from`; without it, every older match could belong
    const above =
      last !== undefined
        ? gt(logEntries.timestamp, last.timestamp)
        : query.from !== undefined
          ? gte(logEntries.timestamp, query.from)
          : undefined;
    if (above === undefined) {
      // 8× the candidates are worth reading only if 8× this page can be expected to fill it
      if (rows.length * 8 < query.rows) return undefined;
      continue;
    }
    if ((ids[0] ?? 0) - (last?.id ?? floor) > MAX_PROOF_SPAN) continue;
    // unary +: walk the time index (rows newer than the page's end), never the rowid range. The
    // other filters stay out: one that no index serves would turn this walk into a scan; the rows
    // found meet them below, with the text.
    const older = await db.values<[number]>(
      sql`SELECT ${logEntries.id} FROM ${logEntries} WHERE ${and(above, sql`+${logEntries.id} < ${floor}`)} LIMIT ${MAX_OLDER + 1}`,
    );
    if (older.length === 0) return rows;
    if (older.length > MAX_OLDER) {
      // a page cut by `from` may just need older candidates; a full one has many out-of-order rows
      if (last === undefined) continue;
      return undefined;
    }
    // a few entries arrived out of order: those that match belong among the candidates
    const matching = await db.values<[number]>(
      sql`SELECT rowid AS id FROM log_entries_fts WHERE log_entries_fts MATCH ${query.text} AND rowid IN (SELECT value FROM json_each(${JSON.stringify(older.map((o) => Number(o[0])))}))`,
    );
    return matching.length === 0
      ? rows
      : rowsAmong(db, [...ids, ...matching.map((m) => Number(m[0]))], query.filters, query.rows);
  }
  return undefined;
}
