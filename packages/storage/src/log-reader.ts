import { and, asc, desc, eq, gt, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { type CursorPosition, decodeCursor, encodeCursor, fingerprintOf } from "./cursor.js";
import { decodeRow } from "./entry-codec.js";
import { ValidationError } from "./errors.js";
import { pageExcluding } from "./exclusion-walk.js";
import { addressableByPath, fieldValueSql } from "./field-indexes.js";
import type { Row } from "./fts-candidates.js";
import { LOG_LEVELS, type LogLevel, levelFromNumber, levelToNumber } from "./levels.js";
import { countWalked, matchesAfter } from "./matches-after.js";
import { newestMatches } from "./newest-matches.js";
import type { ReadDb } from "./reader/native-read-db.js";
import { logEntries } from "./schema.js";
import { timeSliceMatches } from "./time-slice-matches.js";
import type {
  BucketCount,
  BucketQuery,
  CommittedAfter,
  CommittedAfterQuery,
  ContextQuery,
  EntryContext,
  Footprint,
  LogEntry,
  SearchPage,
  SearchQuery,
} from "./types.js";

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** Entries on each side of a context window when the caller does not say. */
export const DEFAULT_CONTEXT = 10;

type Filters = Omit<SearchQuery, "limit" | "cursor">;

/** The reads a storage makes: on its own connection here, or in a reader thread (ThreadedLogReader). */
export interface LogReads {
  search(query: SearchQuery): Promise<SearchPage>;
  getRecent(limit: number): Promise<LogEntry[]>;
  countByBucket(query: BucketQuery): Promise<BucketCount[]>;
  committedAfter(query: CommittedAfterQuery): Promise<CommittedAfter>;
  context(query: ContextQuery): Promise<EntryContext | null>;
  cutoffToKeep(keep: number): Promise<CursorPosition | null>;
  footprint(): Promise<Footprint>;
  /** Ends what the reader owns (its thread); the storage closes its own client. */
  close(): Promise<void>;
}

/**
 * Read side shared by both storages. Runs on the reader connection, which in WAL mode reads the
 * last committed snapshot and never waits for the writer.
 */
export class LogReader implements LogReads {
  readonly #db: ReadDb;
  readonly #fullText: () => boolean;
  readonly #skippedCountWindow: number;

  constructor(db: ReadDb, fullText: () => boolean, skippedCountWindow: number) {
    this.#db = db;
    this.#fullText = fullText;
    this.#skippedCountWindow = skippedCountWindow;
  }

  /**
   * A full-text page tries the cheap plans first; each declines when it cannot prove its page
   * exact: the term's newest matches (a first page), a time slice (a common term under `to` or a
   * cursor), then one statement that reads every match (see #commonTerm for which way round).
   */
  async search(query: SearchQuery): Promise<SearchPage> {
    const limit = checkLimit(query.limit ?? DEFAULT_LIMIT);
    const fingerprint = filterFingerprint(query);
    const cursor = query.cursor === undefined ? [] : [afterCursor(query.cursor, fingerprint)];
    const newest = await this.#newestMatches(query, limit).catch(queryErrorHandler(query));
    if (newest !== undefined) return page(newest, limit, fingerprint);
    if (!hasText(query) && hasNotText(query)) {
      this.#checkFullText();
      const { notText, ...filters } = query;
      const rows = await pageExcluding(this.#db, {
        notText,
        filters: [...this.#conditions(filters), ...cursor],
        rows: limit + 1,
      }).catch(queryErrorHandler(query));
      return page(rows, limit, fingerprint);
    }
    const byTime = hasText(query) && (await this.#commonTerm(query, limit).catch(queryErrorHandler(query)));
    if (byTime && !narrowed(query)) {
      const slice = await this.#timeSlice(query, cursor, limit).catch(queryErrorHandler(query));
      if (slice !== undefined) return page(slice, limit, fingerprint);
    }
    const conditions = [...this.#conditions(query, byTime), ...cursor];
    const rows = await this.#db
      .select()
      .from(logEntries)
      .where(and(...conditions))
      .orderBy(desc(logEntries.timestamp), desc(logEntries.id))
      .limit(limit + 1)
      .catch(queryErrorHandler(query));
    return page(rows, limit, fingerprint);
  }

  async getRecent(limit: number): Promise<LogEntry[]> {
    const rows = await this.#db
      .select()
      .from(logEntries)
      .orderBy(desc(logEntries.timestamp), desc(logEntries.id))
      .limit(checkLimit(limit));
    return rows.map(decodeRow);
  }

  async countByBucket(query: BucketQuery): Promise<BucketCount[]> {
    if (!Number.isInteger(query.bucketMs) || query.bucketMs < 1) {
      throw new ValidationError("bucketMs", "must be a positive integer");
    }
    if (onlyTimeAndLevel(query)) {
      const from = checkDate("from", query.from);
      const to = checkDate("to", query.to);
      const first = floorTo(from, query.bucketMs);
      if (to <= from) return [];
      if ((to - first) / query.bucketMs <= MAX_COUNTED_BUCKETS) {
        return this.#countPerBucket(query, first, from, to).catch(queryErrorHandler(query));
      }
    }
    // inlined (validated integer above): a bound JS number would make the division real-valued
    const bucketMs = sql.raw(String(query.bucketMs));
    // the bucket's start, rounded down also before 1970 (integer % keeps the dividend's sign)
    const bucket = sql<number>`(${logEntries.timestamp} - ((${logEntries.timestamp} % ${bucketMs}) + ${bucketMs}) % ${bucketMs})`;
    const conditions = this.#conditions(query);
    // Only a time range (past MAX_COUNTED_BUCKETS): every level, named, lets the planner read the
    // (level, timestamp) index alone instead of the timestamp index and each row behind it (the
    // CHECK constraint keeps every row's level among them).
    if (onlyTimeAndLevel(query) && levelSet(query) === null) {
      conditions.push(inArray(logEntries.level, LOG_LEVELS.map(levelToNumber)));
    }
    const rows = await this.#db
      .select({ bucketStart: bucket, level: logEntries.level, count: sql<number>`count(*)` })
      .from(logEntries)
      .where(and(...conditions))
      .groupBy(bucket, logEntries.level)
      .orderBy(bucket)
      .catch(queryErrorHandler(query));
    return rows.map((r) => ({
      bucketStart: Number(r.bucketStart),
      level: levelFromNumber(r.level),
      count: Number(r.count),
    }));
  }

  /**
   * A histogram over time and levels only (the UI's): one statement counting each bucket's rows
   * of each level as a range of the (level, timestamp) index, which SQLite counts without reading
   * the rows. Grouping the rows instead (GROUP BY bucket, level) put every row through a
   * temporary B-tree: a week of the bench's 1M entries took 185–199 ms that way and 41–58 ms this
   * way, for 56 to 2016 buckets (raw SQL, p50 of 7).
   */
  async #countPerBucket(query: BucketQuery, first: number, from: number, to: number): Promise<BucketCount[]> {
    const width = sql.raw(String(query.bucketMs));
    // each level once: a level named twice would count its rows twice
    const levelNumbers = new Set(levelSet(query) ?? LOG_LEVELS.map(levelToNumber));
    // level=info&minLevel=fatal: no level left, nothing to count (and no empty VALUES list)
    if (levelNumbers.size === 0) return [];
    const levels = sql.raw([...levelNumbers].map((l) => `(${l})`).join(", "));
    const rows = await this.#db.values<[number, number, number]>(sql`
      WITH RECURSIVE buckets(b) AS (
        SELECT CAST(${first} AS INTEGER) UNION ALL SELECT b + ${width} FROM buckets WHERE b + ${width} < CAST(${to} AS INTEGER)
      ), levels(l) AS (VALUES ${levels})
      SELECT b, l, n FROM (
        SELECT b, l, (
          SELECT count(*) FROM ${logEntries} WHERE ${logEntries.level} = l
            AND ${logEntries.timestamp} >= max(b, CAST(${from} AS INTEGER))
            AND ${logEntries.timestamp} < min(b + ${width}, CAST(${to} AS INTEGER))
        ) AS n FROM buckets, levels
      ) WHERE n > 0 ORDER BY b, l`);
    // indexed, not destructured: @libsql/client's rows are array-like, not iterable
    return rows.map((r) => ({
      bucketStart: Number(r[0]),
      level: levelFromNumber(Number(r[1])),
      count: Number(r[2]),
    }));
  }

  /**
   * The newest `limit` matches committed after `afterId`, in commit order, and how many older
   * ones did not fit (counted only then: a live tail reports them as dropped, as it does for a
   * slow client). Ids are assigned in commit order, so "after" is simply a higher id.
   *
   * The older ones are counted among the `skippedCountWindow` entries committed just before the
   * returned ones, not back to `afterId`: a client resuming from an old id would otherwise cost a
   * count over everything since (seconds at tens of millions of rows, for every EventSource
   * reconnecting after a restart). Past the window `skipped` is a lower bound, and says so.
   * The entries themselves are found without reading every match since `afterId` either: from
   * the term's matches with full text, else along the primary key unless the filter is rare
   * (see matches-after.ts).
   */
  async committedAfter(query: CommittedAfterQuery): Promise<CommittedAfter> {
    const { afterId, limit: rawLimit, ...filters } = query;
    const limit = checkLimit(rawLimit);
    if (!Number.isSafeInteger(afterId) || afterId < 0) {
      throw new ValidationError("afterId", "must be an entry id (an integer >= 0)");
    }
    const { rows, walked } = await (hasText(filters)
      ? this.#textMatchesAfter(filters, afterId, limit + 1).then((text) => ({ rows: text, walked: false }))
      : matchesAfter(this.#db, {
          afterId,
          filters: this.#conditions(filters, false, [sql`rowid > ${afterId}`]),
          rows: limit + 1,
        })
    ).catch(queryErrorHandler(filters));
    const kept = rows.slice(0, limit);
    const oldestKept = kept.at(-1);
    if (rows.length <= limit || oldestKept === undefined) {
      return { entries: kept.reverse().map(decodeRow), skipped: 0, skippedIsLowerBound: false };
    }
    const from = Math.max(afterId + 1, oldestKept.id - this.#skippedCountWindow);
    // along the primary key when the entries were found so: the window bounds its cost, where a
    // common level's index would be read whole (3M rows, level=info: 79 ms vs 15 ms)
    const skipped = walked
      ? await countWalked(
          this.#db,
          this.#conditions(filters, false, [sql`rowid >= ${from}`, sql`rowid < ${oldestKept.id}`]),
          from,
          oldestKept.id,
        )
      : await this.#countBetween(filters, from, oldestKept.id);
    return {
      entries: kept.reverse().map(decodeRow),
      skipped,
      skippedIsLowerBound: from > afterId + 1,
    };
  }

  /**
   * The entries around entry `id` in the search order (timestamp, then id): each side is one walk
   * of the timestamp index from the entry's position, as a cursor page walks it, with one row more
   * than asked to tell whether more lie beyond. The filters choose the neighbours, not the entry.
   */
  async context(query: ContextQuery): Promise<EntryContext | null> {
    const { id, before = DEFAULT_CONTEXT, after = DEFAULT_CONTEXT, ...filters } = query;
    if (!Number.isSafeInteger(id) || id < 1) {
      throw new ValidationError("id", "must be an entry id (an integer >= 1)");
    }
    const olderCount = checkCount("before", before);
    const newerCount = checkCount("after", after);
    const [anchor] = await this.#db.select().from(logEntries).where(eq(logEntries.id, id)).limit(1);
    if (anchor === undefined) return null;
    // with text, walk by time and test each row against the matches, not fetch every match by id
    const conditions = this.#conditions(filters, true);
    const position = sql`(${logEntries.timestamp}, ${logEntries.id})`;
    const at = sql`(${anchor.timestamp}, ${anchor.id})`;
    const older = await this.#db
      .select()
      .from(logEntries)
      .where(and(...conditions, sql`${position} < ${at}`))
      .orderBy(desc(logEntries.timestamp), desc(logEntries.id))
      .limit(olderCount + 1)
      .catch(queryErrorHandler(filters));
    const newer = await this.#db
      .select()
      .from(logEntries)
      .where(and(...conditions, sql`${position} > ${at}`))
      .orderBy(asc(logEntries.timestamp), asc(logEntries.id))
      .limit(newerCount + 1)
      .catch(queryErrorHandler(filters));
    return {
      entry: decodeRow(anchor),
      newer: newer.slice(0, newerCount).reverse().map(decodeRow),
      older: older.slice(0, olderCount).map(decodeRow),
      moreNewer: newer.length > newerCount,
      moreOlder: older.length > olderCount,
    };
  }

  /** committedAfter's newest `rows` matches of a full-text query, driven from the term's matches. */
  #textMatchesAfter(filters: Filters, afterId: number, rows: number): Promise<Row[]> {
    return (
      this.#db
        .select()
        .from(logEntries)
        // the bound inside the full-text subquery too: without it the subquery read every match of
        // the term in the table, even for a client resuming a moment later (3M rows: 218 vs 8 ms)
        .where(
          and(...this.#conditions(filters, false, [sql`rowid > ${afterId}`]), gt(logEntries.id, afterId)),
        )
        .orderBy(desc(logEntries.id))
        .limit(rows)
    );
  }

  /** How many entries with an id in [from, below) match, as the planner chooses to count them. */
  async #countBetween(filters: Filters, from: number, below: number): Promise<number> {
    // the same bounds inside the full-text subquery: it reads only the window's matches
    const window = [sql`rowid >= ${from}`, sql`rowid < ${below}`];
    const [counted] = await this.#db
      .select({ n: sql<number>`count(*)` })
      .from(logEntries)
      .where(
        and(...this.#conditions(filters, false, window), gte(logEntries.id, from), lt(logEntries.id, below)),
      );
    return Number(counted?.n ?? 0);
  }

  async close(): Promise<void> {}

  /**
   * The newest row that must go so that the `keep` newest remain, newest in the search order
   * (timestamp, then id); it and every row below it go. Null if `keep` or fewer exist.
   */
  async cutoffToKeep(keep: number): Promise<CursorPosition | null> {
    const rows = await this.#db
      .select({ timestamp: logEntries.timestamp, id: logEntries.id })
      .from(logEntries)
      .orderBy(desc(logEntries.timestamp), desc(logEntries.id))
      .limit(1)
      .offset(keep);
    const row = rows[0];
    return row === undefined ? null : { timestamp: Number(row.timestamp), id: Number(row.id) };
  }

  /** Pages in use (free ones excluded) in bytes, and the entries: retention's maxBytes. */
  async footprint(): Promise<Footprint> {
    const [row] = await this.#db.values<[number, number, number, number]>(
      sql`SELECT (SELECT page_count FROM pragma_page_count()), (SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_size FROM pragma_page_size()), (SELECT count(*) FROM log_entries)`,
    );
    // positional, not .map(): @libsql/client's rows are array-like, not arrays
    const at = (i: number) => Number(row?.[i] ?? 0);
    return { usedBytes: (at(0) - at(1)) * at(2), entries: at(3) };
  }

  /**
   * Chooses how a full-text page is found. A rare term is cheapest driven from its matches
   * (fetch them all, sort by time). A common one matches so many rows that fetching and sorting
   * them all costs more than walking the time index newest-first until the page is full (on 1M
   * rows, a term in 6% of them: 137 ms vs 8 ms). The walk reads about limit × rows / matches
   * rows, the match-driven plan about `matches`: they cross at matches ≈ √(limit × rows), so count
   * the matches only up to that point.
   */
  async #commonTerm(query: Filters, limit: number): Promise<boolean> {
    this.#checkFullText();
    const [span] = await this.#db.values<[number]>(
      // two subqueries: each is one index probe (a single SELECT with both would scan the table)
      sql`SELECT coalesce((SELECT max(id) FROM log_entries) - (SELECT min(id) FROM log_entries) + 1, 0) AS rows`,
    );
    const crossover = Math.max(1000, Math.ceil(Math.sqrt(limit * Number(span?.[0] ?? 0))));
    const [probe] = await this.#db.values<[number]>(
      sql`SELECT count(*) AS matches FROM (SELECT rowid FROM log_entries_fts WHERE log_entries_fts MATCH ${query.text} LIMIT ${crossover})`,
    );
    return Number(probe?.[0] ?? 0) >= crossover;
  }

  /** The first page of a text search, when the newest matches are provably enough (see newest-matches.ts). */
  async #newestMatches(query: SearchQuery, limit: number): Promise<Row[] | undefined> {
    if (query.cursor !== undefined || query.to !== undefined || !hasText(query)) return undefined;
    this.#checkFullText();
    const { text, ...filters } = query;
    return newestMatches(this.#db, {
      text,
      filters: this.#conditions(filters),
      ...(query.from !== undefined && { from: checkDate("from", query.from) }),
      rows: limit + 1,
    });
  }

  /** A common term's page under a time bound, from a slice of the time walk (see time-slice-matches.ts). */
  #timeSlice(
    query: SearchQuery & { text: string },
    cursor: SQL[],
    limit: number,
  ): Promise<Row[] | undefined> {
    const { text, ...filters } = query;
    return timeSliceMatches(this.#db, {
      text,
      from: fromBound(query),
      bounds: [...toBound(query), ...cursor],
      filters: [...this.#conditions(filters), ...cursor],
      rows: limit + 1,
    });
  }

  #checkFullText(): void {
    if (!this.#fullText())
      throw new ValidationError("text", "full-text search is disabled (fullText: false)");
  }

  /**
   * `textByTime`: keep SQLite from driving the query from the FTS matches (see #commonTerm).
   * `matchBounds`: rowid conditions for the FTS subquery, which otherwise reads every match of
   * the term in the table, whatever bounds the outer query has on the id.
   */
  #conditions(query: Filters, textByTime = false, matchBounds: SQL[] = []): SQL[] {
    const conditions: SQL[] = [];
    if (hasText(query)) {
      this.#checkFullText();
      const bounds = matchBounds.map((bound) => sql` AND ${bound}`);
      const matches = sql`(SELECT rowid FROM log_entries_fts WHERE log_entries_fts MATCH ${query.text}${sql.join(bounds)})`;
      // unary + makes the id column unusable as an index key, so the planner walks by time instead
      conditions.push(
        textByTime ? sql`+${logEntries.id} IN ${matches}` : sql`${logEntries.id} IN ${matches}`,
      );
    }
    if (hasNotText(query)) {
      this.#checkFullText();
      // NOT IN lists the matches once (a term in 6% of 1M rows: 5.5 ms a page); NOT EXISTS
      // probed the index for every row walked (18 ms a page, over a minute for a count). A page
      // with no other text is found by pageExcluding instead, which lists far fewer.
      const bounds = matchBounds.map((bound) => sql` AND ${bound}`);
      conditions.push(
        sql`${logEntries.id} NOT IN (SELECT rowid FROM log_entries_fts WHERE log_entries_fts MATCH ${query.notText}${sql.join(bounds)})`,
      );
    }
    const levels = levelSet(query);
    if (levels !== null) conditions.push(inArray(logEntries.level, levels));
    if (query.sources !== undefined && query.sources.length > 0) {
      conditions.push(inArray(logEntries.source, query.sources));
    }
    conditions.push(...timeBounds(query));
    for (const [key, value] of Object.entries(query.fields ?? {}))
      conditions.push(fieldCondition(key, value));
    for (const [key, values] of Object.entries(query.notFields ?? {})) {
      if (!Array.isArray(values)) throw new ValidationError("notFields", "each key takes a list of values");
      if (values.length > 0) conditions.push(notFieldCondition(key, values));
    }
    return conditions;
  }
}

/** `fields.<key>` equals `value`, the field written as fieldValueSql renders it. */
function fieldCondition(key: string, value: string): SQL {
  // the path as a literal, in the text an indexedFields index was created with
  if (addressableByPath(key)) return sql`${sql.raw(fieldValueSql(key))} = ${value}`;
  return sql`EXISTS (${memberMatching(key, [value])})`;
}

/** `fields.<key>` is none of `values`; a missing key or null (NULL in SQL) is none of them. */
function notFieldCondition(key: string, values: readonly string[]): SQL {
  if (!addressableByPath(key)) return sql`NOT EXISTS (${memberMatching(key, values)})`;
  const list = sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  );
  return sql`coalesce(${sql.raw(fieldValueSql(key))} NOT IN (${list}), 1)`;
}

/**
 * The member `key` of `fields` when it equals one of `values`: for a key containing `"`, which
 * no JSON path names. json_each gives a number as an SQL number, not its JSON text: it matches a
 * value that is that number as JavaScript prints it (the stored text's form), compared as a number.
 */
function memberMatching(key: string, values: readonly string[]): SQL {
  const alternatives = values.flatMap((value) => {
    const matches = [sql`(json_each.type IN ('text', 'object', 'array') AND json_each.value = ${value})`];
    if (value === "true" || value === "false") matches.push(sql`json_each.type = ${value}`);
    const number = Number(value);
    if (Number.isFinite(number) && String(number) === value)
      matches.push(sql`(json_each.type IN ('integer', 'real') AND json_each.value = ${number})`);
    return matches;
  });
  return sql`SELECT 1 FROM json_each(${logEntries.fields}) WHERE json_each.key = ${key} AND (${sql.join(alternatives, sql` OR `)})`;
}

/** `from` (inclusive) and `to` (exclusive) as conditions on the timestamp. */
function timeBounds(query: Filters): SQL[] {
  const from = fromBound(query);
  return from === undefined ? toBound(query) : [from, ...toBound(query)];
}

function fromBound(query: Filters): SQL | undefined {
  return query.from === undefined ? undefined : gte(logEntries.timestamp, checkDate("from", query.from));
}

function toBound(query: Filters): SQL[] {
  return query.to === undefined ? [] : [lt(logEntries.timestamp, checkDate("to", query.to))];
}

/** Rows after the cursor's in the search order (newest first). */
function afterCursor(cursor: string, fingerprint: string): SQL {
  const after = decodeCursor(cursor, fingerprint);
  return sql`(${logEntries.timestamp}, ${logEntries.id}) < (${after.timestamp}, ${after.id})`;
}

/** A page of `limit` entries from up to limit + 1 rows; the extra row only says that more exist. */
function page(rows: Row[], limit: number, fingerprint: string): SearchPage {
  const entries = rows.slice(0, limit).map(decodeRow);
  const last = entries.at(-1);
  return rows.length > limit && last
    ? { entries, nextCursor: encodeCursor({ timestamp: last.timestamp.getTime(), id: last.id }, fingerprint) }
    : { entries };
}

/**
 * What a cursor is bound to: the filters that choose the result set, in a canonical form (the
 * same levels written as `levels` or `minLevel` agree). Not `from`/`to`: the cursor's position
 * bounds the walk whatever the window, and a relative `from` (1h) moves between pages.
 */
function filterFingerprint(query: Filters): string {
  return fingerprintOf(
    JSON.stringify([
      hasText(query) ? query.text.trim() : null,
      levelSet(query) === null ? null : sorted(levelSet(query) ?? []),
      query.sources !== undefined && query.sources.length > 0 ? sorted(query.sources) : null,
      byKey(Object.entries(query.fields ?? {})),
      // last and only when given: cursors issued before notText existed stay valid
      ...(hasNotText(query) ? [query.notText.trim()] : []),
      ...(hasNotFields(query) ? [notFieldsFingerprint(query)] : []),
    ]),
  );
}

/**
 * Whether filters other than text and time narrow the search. A time slice of the rows such a
 * search can come from spans far more ids than rows (an error slice of 5k rows spans 100k), and
 * walking the level's index to find them all measured no faster than reading every match.
 */
function narrowed(query: Filters): boolean {
  return (
    levelSet(query) !== null ||
    (query.sources !== undefined && query.sources.length > 0) ||
    Object.keys(query.fields ?? {}).length > 0
  );
}

/** No text, source or `fields` filter: a time range, and maybe levels. */
function onlyTimeAndLevel(query: Filters): boolean {
  return (
    !hasText(query) &&
    !hasNotText(query) &&
    (query.sources ?? []).length === 0 &&
    Object.keys(query.fields ?? {}).length === 0 &&
    !hasNotFields(query)
  );
}

function hasNotFields(query: Filters): boolean {
  return Object.values(query.notFields ?? {}).some((values) => values.length > 0);
}

/** The exclusions in a canonical form: keys and each key's values sorted, repeats dropped. */
function notFieldsFingerprint(query: Filters): [string, (string | number)[]][] {
  return byKey(
    Object.entries(query.notFields ?? {})
      .filter(([, values]) => values.length > 0)
      .map(([key, values]) => [key, sorted(values)]),
  );
}

/** Distinct values in order: a list filter's canonical form. */
function sorted(values: readonly (string | number)[]): (string | number)[] {
  return [...new Set(values)].sort();
}

/** Entries ordered by key (code units, as a stable canonical order). */
function byKey<T>(entries: [string, T][]): [string, T][] {
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Past this many buckets a histogram groups the rows instead (the API allows 2000). */
const MAX_COUNTED_BUCKETS = 10_000;

function floorTo(ms: number, width: number): number {
  return Math.floor(ms / width) * width;
}

function hasText(query: Filters): query is Filters & { text: string } {
  return query.text !== undefined && query.text.trim() !== "";
}

function hasNotText(query: Filters): query is Filters & { notText: string } {
  return query.notText !== undefined && query.notText.trim() !== "";
}

function levelSet(query: Filters): number[] | null {
  let levels: LogLevel[] | null = query.levels && query.levels.length > 0 ? query.levels : null;
  if (query.minLevel !== undefined) {
    const min = LOG_LEVELS.indexOf(query.minLevel);
    if (min < 0) throw new ValidationError("minLevel", `unknown level "${query.minLevel}"`);
    levels = (levels ?? [...LOG_LEVELS]).filter((l) => LOG_LEVELS.indexOf(l) >= min);
  }
  if (levels === null) return null;
  for (const level of levels) {
    if (!LOG_LEVELS.includes(level)) throw new ValidationError("levels", `unknown level "${level}"`);
  }
  return levels.map(levelToNumber);
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ValidationError("limit", `must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

/** A context side's size: 0 (none, but say whether there are more) up to MAX_LIMIT. */
function checkCount(field: string, count: number): number {
  if (!Number.isInteger(count) || count < 0 || count > MAX_LIMIT) {
    throw new ValidationError(field, `must be an integer from 0 to ${MAX_LIMIT}`);
  }
  return count;
}

function checkDate(field: string, value: Date): number {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new ValidationError(field, "must be a valid Date");
  return ms;
}

/**
 * With a full-text filter, a query error (SQLITE_ERROR: FTS5 syntax, unknown column or special
 * query) can only come from the text: report it as the caller's mistake, not a driver error.
 * The driver error (which quotes the query parameters) stays in `cause`, never in the message.
 */
function queryErrorHandler(query: Filters): (error: unknown) => never {
  return (error: unknown) => {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    // A libSQL server reports SQL errors as SQLITE_UNKNOWN "SQLite error: …" (no rawCode).
    const remoteSqlError =
      cause?.code === "SQLITE_UNKNOWN" && /^SQLITE_UNKNOWN: SQLite error: /.test(cause.message ?? "");
    const textField = query.text !== undefined ? "text" : query.notText !== undefined ? "notText" : null;
    if (textField !== null && (cause?.code === "SQLITE_ERROR" || remoteSqlError)) {
      const reason = (cause?.message ?? "")
        .replace(/^SQLITE_(ERROR|UNKNOWN): (SQLite error: )?/, "")
        .replace(/^fts5: /, "");
      throw new ValidationError(textField, `invalid full-text query: ${reason}`, { cause: error });
    }
    throw error;
  };
}
