import { and, type SQL, sql } from "drizzle-orm";
import { ROW_COLUMNS, type Row, type RowValues, rowFromValues } from "./fts-candidates.js";
import type { ReadDb } from "./reader/native-read-db.js";
import { logEntries } from "./schema.js";

/** The first id range walked, as a multiple of the rows wanted; each next one is this much larger. */
const FIRST_WALK_FACTOR = 2;
const WALK_GROWTH = 8;
/**
 * What a match found through a filter's index costs, in rows of the id walk: the index plan looks
 * each one up and sorts them all (3M rows, 2.5M since the id: ~2 µs a match for errors, ~5 µs
 * for a source in 0.1% of rows, whose rows share no pages) where the walk reads a row in ~0.12 µs.
 */
const INDEX_COST_PER_MATCH = 20;

export interface MatchesAfterQuery {
  afterId: number;
  /** Every filter (levels, sources, fields, time bounds); no full-text one. */
  filters: SQL[];
  /** Rows wanted: the limit and one more (whether older matches were left out). */
  rows: number;
}

/**
 * The newest `rows` matches with an id above `afterId`, newest first, and how they were found.
 *
 * Given `id > afterId`, SQLite drives this query from a level or source index: it reads every
 * match since the id and sorts them, so a live tail resuming from an old id paid for its age (3M
 * rows, 2.5M since the id: 310 ms for errors, 2.7 s for info) even though it keeps only the newest
 * 1000. Walking the primary key newest first instead stops once the page is full: about
 * rows ÷ (share of rows matching) rows read. The walk goes by id ranges, the first one small (it
 * is also the probe): a filter too rare for the walk to pay (cost estimated from the matches
 * found so far) gets the rest from the index plan, bounded above by the part already walked.
 * `walked` says whether every match came from the walk (the count of skipped ones follows it).
 */
export async function matchesAfter(
  db: ReadDb,
  query: MatchesAfterQuery,
): Promise<{ rows: Row[]; walked: boolean }> {
  const [top] = await db.values<[number | null]>(sql`SELECT max(${logEntries.id}) FROM ${logEntries}`);
  const newest = Number(top?.[0] ?? 0);
  const found: Row[] = [];
  let hi = newest;
  let span = FIRST_WALK_FACTOR * query.rows;
  for (;;) {
    const lo = Math.max(query.afterId, hi - span);
    found.push(...(await walk(db, query.filters, lo, hi, query.rows - found.length)));
    if (found.length === query.rows || lo === query.afterId) return { rows: found, walked: true };
    const share = found.length / (newest - lo);
    const walkRows = share === 0 ? Number.POSITIVE_INFINITY : (query.rows - found.length) / share;
    if (walkRows > INDEX_COST_PER_MATCH * share * (lo - query.afterId)) {
      const rest = await db
        .select()
        .from(logEntries)
        .where(
          and(...query.filters, sql`${logEntries.id} > ${query.afterId}`, sql`${logEntries.id} <= ${lo}`),
        )
        .orderBy(sql`${logEntries.id} DESC`)
        .limit(query.rows - found.length);
      return { rows: [...found, ...rest], walked: false };
    }
    hi = lo;
    span *= WALK_GROWTH;
  }
}

/** The newest `rows` matches with an id in (lo, hi], read along the primary key (NOT INDEXED). */
async function walk(db: ReadDb, filters: SQL[], lo: number, hi: number, rows: number): Promise<Row[]> {
  const range = [sql`${logEntries.id} > ${lo}`, sql`${logEntries.id} <= ${hi}`];
  const found = await db.values<RowValues>(
    sql`SELECT ${ROW_COLUMNS} FROM ${logEntries} NOT INDEXED WHERE ${and(...filters, ...range)} ORDER BY ${logEntries.id} DESC LIMIT ${rows}`,
  );
  return found.map(rowFromValues);
}

/** How many entries with an id in [from, below) match, counted along the primary key. */
export async function countWalked(db: ReadDb, filters: SQL[], from: number, below: number): Promise<number> {
  const range = [sql`${logEntries.id} >= ${from}`, sql`${logEntries.id} < ${below}`];
  const [counted] = await db.values<[number]>(
    sql`SELECT count(*) FROM ${logEntries} NOT INDEXED WHERE ${and(...filters, ...range)}`,
  );
  return Number(counted?.[0] ?? 0);
}
