import { fieldValueSql, type LogStorage, openLogStorage, type SearchQuery } from "@batchlog/storage";
import Database from "libsql";
import { Bench } from "tinybench";
import { drive } from "../drive.js";
import { EntryPool } from "../fixtures.js";
import { FIXTURE_END_MS, readFixture } from "../read-fixture.js";
import { barChart } from "../report/svg-chart.js";
import { formatRate } from "../stats.js";
import { emptyOutput, type LatencyFigure, type Suite, type SuiteContext } from "../suite.js";
import { latencyFigure } from "../tinybench-figure.js";

const HOUR = 3600 * 1000;
const WINDOW_FROM = new Date(FIXTURE_END_MS - 36 * HOUR);
const WINDOW_TO = new Date(FIXTURE_END_MS - 35 * HOUR);

interface ReadCase {
  key: string;
  label: string;
  /** p50 target in ms, if the issue sets one. */
  targetP50?: number;
  run(storage: LogStorage, cursors: Cursors): Promise<unknown>;
  /**
   * The statements the storage issues for it (packages/storage/src/log-reader.ts and the plans it
   * calls), in order, for EXPLAIN QUERY PLAN; the full-text ones as planned for a common term.
   */
  statements: { sql: string; params: unknown[] }[];
}

/** Where the cursor-walk cases start: page 50 of all entries, page 5 of a full-text search. */
interface Cursors {
  page50: string;
  textPage5: string;
}

const COLUMNS = "id, timestamp, level, source, message, fields";
/** An entry in the middle of the quick fixture (100k entries) and well inside the full one. */
const CONTEXT_ID = 50_000;
const ORDER = "ORDER BY timestamp DESC, id DESC LIMIT 101";
const FTS_SUBQUERY = "SELECT rowid FROM log_entries_fts WHERE log_entries_fts MATCH ?";
/** The full-text plans' statements (newest-matches.ts, time-slice-matches.ts) for 100-row pages. */
const NEWEST_MATCHES = `${FTS_SUBQUERY} ORDER BY rowid DESC LIMIT 404`;
const AMONG_IDS = "id IN (SELECT value FROM json_each(?))";
const PROBE = `SELECT count(*) FROM (${FTS_SUBQUERY} LIMIT 10050)`;

/** The time-slice plan's statements under the given time bound (`to` and/or a cursor). */
function timeSlice(bound: string, params: unknown[]): ReadCase["statements"] {
  const walk = `FROM log_entries WHERE ${bound} ORDER BY timestamp DESC, id DESC`;
  const inSlice = `${bound} AND (timestamp, id) >= (?, ?)`;
  return [
    { sql: PROBE, params: ["timeout"] },
    { sql: `SELECT id, timestamp ${walk} LIMIT 1 OFFSET 5049`, params },
    { sql: `SELECT min(id), max(id) FROM log_entries WHERE ${inSlice}`, params: [...params, 0, 0] },
    { sql: `${FTS_SUBQUERY} AND rowid <= ? ORDER BY rowid DESC LIMIT 404`, params: ["timeout", 0] },
    {
      sql: `SELECT ${COLUMNS} FROM log_entries NOT INDEXED WHERE ${AMONG_IDS} AND ${inSlice} ${ORDER}`,
      params: ["[]", ...params, 0, 0],
    },
  ];
}

function cases(): ReadCase[] {
  const filtered: SearchQuery = { levels: ["error"], from: WINDOW_FROM, to: WINDOW_TO, limit: 100 };
  return [
    {
      key: "filtered",
      label: "level=error + 1 h window",
      targetP50: 10,
      run: (s) => s.search(filtered),
      statements: [
        {
          sql: `SELECT ${COLUMNS} FROM log_entries WHERE level IN (?) AND timestamp >= ? AND timestamp < ? ${ORDER}`,
          params: [5, WINDOW_FROM.getTime(), WINDOW_TO.getTime()],
        },
      ],
    },
    {
      key: "fullText",
      label: 'full-text "timeout" (~6% of rows)',
      targetP50: 20,
      run: (s) => s.search({ text: "timeout", limit: 100 }),
      statements: [
        { sql: NEWEST_MATCHES, params: ["timeout"] },
        { sql: `SELECT ${COLUMNS} FROM log_entries NOT INDEXED WHERE ${AMONG_IDS} ${ORDER}`, params: ["[]"] },
        { sql: "SELECT id FROM log_entries WHERE timestamp > ? AND +id < ? LIMIT 17", params: [0, 0] },
      ],
    },
    {
      key: "fullTextWindow",
      label: 'full-text "timeout" + 1 h window',
      targetP50: 20,
      run: (s) => s.search({ text: "timeout", from: WINDOW_FROM, to: WINDOW_TO, limit: 100 }),
      statements: timeSlice("timestamp >= ? AND timestamp < ?", [WINDOW_FROM.getTime(), WINDOW_TO.getTime()]),
    },
    {
      key: "fullTextError",
      label: 'full-text "timeout" + level=error',
      run: (s) => s.search({ text: "timeout", levels: ["error"], limit: 100 }),
      // the newest matches are tried and decline (too few errors among them), then every match
      statements: [
        { sql: NEWEST_MATCHES, params: ["timeout"] },
        {
          sql: `SELECT ${COLUMNS} FROM log_entries NOT INDEXED WHERE ${AMONG_IDS} AND level IN (?) ${ORDER}`,
          params: ["[]", 5],
        },
        { sql: PROBE, params: ["timeout"] },
        {
          sql: `SELECT ${COLUMNS} FROM log_entries WHERE +id IN (${FTS_SUBQUERY}) AND level IN (?) ${ORDER}`,
          params: ["timeout", 5],
        },
      ],
    },
    {
      key: "fullTextPage5",
      label: 'full-text "timeout", page 5 of a cursor walk',
      run: (s, cursors) => s.search({ text: "timeout", limit: 100, cursor: cursors.textPage5 }),
      statements: timeSlice("(timestamp, id) < (?, ?)", [FIXTURE_END_MS - HOUR, 1]),
    },
    {
      key: "excluded",
      label: 'excluding "timeout" (q=NOT timeout: ~94% of rows)',
      run: (s) => s.search({ notText: "timeout", limit: 100 }),
      // exclusion-walk.ts: the newest rows a stretch at a time, and the term's newest matches
      // down through the stretch's ids
      statements: [
        {
          sql: `SELECT ${COLUMNS} FROM log_entries WHERE 1 ORDER BY timestamp DESC, id DESC LIMIT 404`,
          params: [],
        },
        { sql: `${FTS_SUBQUERY} AND rowid <= ? ORDER BY rowid DESC LIMIT ?`, params: ["timeout", 0, 404] },
      ],
    },
    {
      key: "fields",
      label: "fields userId=user-42 (~0.1% of rows)",
      run: (s) => s.search({ fields: { userId: "user-42" }, limit: 100 }),
      statements: [
        {
          sql: `SELECT ${COLUMNS} FROM log_entries WHERE ${fieldValueSql("userId")} = ? ${ORDER}`,
          params: ["user-42"],
        },
      ],
    },
    {
      key: "notField",
      label: "excluding route=/healthz (field.route!=/healthz: ~17% of rows)",
      run: (s) => s.search({ notFields: { route: ["/healthz"] }, limit: 100 }),
      // the timestamp index walked newest first, each row's route read until 101 are kept
      statements: [
        {
          sql: `SELECT ${COLUMNS} FROM log_entries WHERE coalesce(${fieldValueSql("route")} NOT IN (?), 1) ${ORDER}`,
          params: ["/healthz"],
        },
      ],
    },
    {
      key: "recent",
      label: "getRecent(100)",
      targetP50: 2,
      run: (s) => s.getRecent(100),
      statements: [
        { sql: `SELECT ${COLUMNS} FROM log_entries ORDER BY timestamp DESC, id DESC LIMIT 100`, params: [] },
      ],
    },
    {
      key: "volume",
      label: "volume histogram, 7 days in 3 h buckets (`/api/stats`)",
      run: (s) =>
        s.countByBucket({
          from: new Date(FIXTURE_END_MS - 7 * 24 * HOUR),
          to: new Date(FIXTURE_END_MS),
          bucketMs: 3 * HOUR,
        }),
      // run per bucket and level, as a subquery of one statement (log-reader.ts, #countPerBucket)
      statements: [
        {
          sql: "SELECT count(*) FROM log_entries WHERE level = ? AND timestamp >= ? AND timestamp < ?",
          params: [3, FIXTURE_END_MS - 3 * HOUR, FIXTURE_END_MS],
        },
      ],
    },
    {
      key: "context",
      label: "context of entry 50,000: ±10 from its source",
      run: (s) => s.context({ id: CONTEXT_ID, sources: ["payments"] }),
      // log-reader.ts, context(): the entry, then a walk of the timestamp index each way from it
      statements: [
        { sql: `SELECT ${COLUMNS} FROM log_entries WHERE id = ? LIMIT 1`, params: [CONTEXT_ID] },
        {
          sql: `SELECT ${COLUMNS} FROM log_entries WHERE source IN (?) AND (timestamp, id) < (?, ?) ORDER BY timestamp DESC, id DESC LIMIT 11`,
          params: ["payments", FIXTURE_END_MS - HOUR, CONTEXT_ID],
        },
        {
          sql: `SELECT ${COLUMNS} FROM log_entries WHERE source IN (?) AND (timestamp, id) > (?, ?) ORDER BY timestamp ASC, id ASC LIMIT 11`,
          params: ["payments", FIXTURE_END_MS - HOUR, CONTEXT_ID],
        },
      ],
    },
    {
      key: "page50",
      label: "page 50 of a cursor walk (100/page)",
      run: (s, cursors) => s.search({ limit: 100, cursor: cursors.page50 }),
      statements: [
        {
          sql: `SELECT ${COLUMNS} FROM log_entries WHERE (timestamp, id) < (?, ?) ${ORDER}`,
          params: [FIXTURE_END_MS - HOUR, 1],
        },
      ],
    },
  ];
}

async function cursorForPage(storage: LogStorage, page: number, text?: string): Promise<string> {
  let cursor: string | undefined;
  for (let i = 1; i < page; i++) {
    const query = { limit: 100, ...(text !== undefined && { text }) };
    const result = await storage.search(cursor === undefined ? query : { ...query, cursor });
    if (result.nextCursor === undefined) throw new Error(`the fixture has fewer than ${page} pages`);
    cursor = result.nextCursor;
  }
  return cursor!;
}

async function measure(
  ctx: SuiteContext,
  storage: LogStorage,
  all: ReadCase[],
  cursors: Cursors,
): Promise<Record<string, LatencyFigure>> {
  const bench = new Bench({
    name: "reads",
    retainSamples: true,
    time: ctx.quick ? 100 : 1000,
    iterations: ctx.quick ? 5 : 30,
    warmupTime: 50,
    warmupIterations: 3,
    throws: true,
  });
  // Outside the timed window, give the event loop a turn: otherwise back-to-back reads (which
  // run synchronously in @libsql/client) would starve the background producers.
  const yieldTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 1));
  for (const c of all) bench.add(c.label, () => c.run(storage, cursors), { beforeEach: yieldTurn });
  await bench.run();
  return Object.fromEntries(bench.tasks.map((task, i) => [all[i]!.key, latencyFigure(task)]));
}

function explain(path: string, all: ReadCase[]): Record<string, string[]> {
  const db = new Database(path, { readonly: true });
  try {
    return Object.fromEntries(
      all.map((c) => [
        c.key,
        c.statements.flatMap(({ sql, params }, i) =>
          (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) =>
            c.statements.length > 1 ? `${i + 1}: ${r.detail}` : r.detail,
          ),
        ),
      ]),
    );
  } finally {
    db.close();
  }
}

const ADAPTIVE_THRESHOLD = 2000;

/**
 * Full-text plans for a first page side by side on the raw driver: driven from every match
 * (SQLite's own choice), from the time index (`+id`: the storage's plan for a common term before
 * newest-matches.ts), adaptive between the two on a bounded count (what the storage still does
 * for windows a time slice cannot answer), and from the term's newest matches (the storage's
 * first-page plan now, its proof included).
 */
async function planAlternatives(path: string, quick: boolean): Promise<Record<string, LatencyFigure>> {
  const db = new Database(path, { readonly: true });
  try {
    const row = db
      .prepare("SELECT message FROM log_entries WHERE message LIKE 'order % shipped via %' LIMIT 1")
      .get() as { message: string } | undefined;
    const rare = row?.message.split(" ").pop() ?? "nomatch";
    const current = db.prepare(`SELECT ${COLUMNS} FROM log_entries WHERE id IN (${FTS_SUBQUERY}) ${ORDER}`);
    const timeDriven = db.prepare(
      `SELECT ${COLUMNS} FROM log_entries WHERE +id IN (${FTS_SUBQUERY}) ${ORDER}`,
    );
    const boundedCount = db.prepare(
      `SELECT count(*) AS n FROM (${FTS_SUBQUERY} LIMIT ${ADAPTIVE_THRESHOLD + 1})`,
    );
    const adaptive = (term: string) => {
      const { n } = boundedCount.get(term) as { n: number };
      return (n > ADAPTIVE_THRESHOLD ? timeDriven : current).all(term);
    };
    const newestIds = db.prepare(`${NEWEST_MATCHES}`).pluck();
    const amongIds = db.prepare(`SELECT ${COLUMNS} FROM log_entries NOT INDEXED WHERE ${AMONG_IDS} ${ORDER}`);
    const older = db.prepare("SELECT id FROM log_entries WHERE timestamp > ? AND +id < ? LIMIT 17");
    const newest = (term: string) => {
      const ids = newestIds.all(term) as number[];
      const rows = amongIds.all(JSON.stringify(ids)) as { timestamp: number }[];
      if (ids.length === 404 && rows.length === 101) older.all(rows[100]!.timestamp, ids[403]!);
      return rows;
    };
    const bench = new Bench({
      name: "fts-plans",
      retainSamples: true,
      time: quick ? 150 : 500,
      iterations: quick ? 5 : 15,
      throws: true,
    });
    const tasks: [string, () => unknown][] = [
      ["ftsCurrentCommon", () => current.all("timeout")],
      ["ftsTimeDrivenCommon", () => timeDriven.all("timeout")],
      ["ftsAdaptiveCommon", () => adaptive("timeout")],
      ["ftsNewestCommon", () => newest("timeout")],
      ["ftsCurrentRare", () => current.all(rare)],
      ["ftsTimeDrivenRare", () => timeDriven.all(rare)],
      ["ftsAdaptiveRare", () => adaptive(rare)],
      ["ftsNewestRare", () => newest(rare)],
    ];
    for (const [name, fn] of tasks) bench.add(name, fn);
    await bench.run();
    return Object.fromEntries(bench.tasks.map((task) => [task.name, latencyFigure(task)]));
  } finally {
    db.close();
  }
}

/**
 * Suite 4: reads on a 1M-entry store (100k with --quick) through the storage API, idle and while
 * 64 producers ingest 100-entry bursts at full speed. tinybench measures each query's latency.
 */
export const reads: Suite = {
  name: "reads",
  title: "Reads at scale",
  async run(ctx) {
    const out = emptyOutput();
    const size = ctx.quick ? 100_000 : 1_000_000;
    const { path: cached, built } = await readFixture(size, ctx.progress);
    ctx.progress(`${built ? "built" : "reusing cached"} fixture ${cached}`);
    const all = cases();
    const plans = explain(cached, all);
    ctx.progress("full-text plan alternatives on the raw driver");
    const alternatives = await planAlternatives(cached, ctx.quick);
    const path = ctx.temp.copy(cached, "reads");
    const storage = await openLogStorage({ url: ctx.temp.url(path) });
    let idle: Record<string, LatencyFigure>;
    let loaded: Record<string, LatencyFigure>;
    let ingestRate = 0;
    try {
      const cursors = {
        page50: await cursorForPage(storage, 50),
        textPage5: await cursorForPage(storage, 5, "timeout"),
      };
      ctx.progress(`idle: ${all.length} queries`);
      idle = await measure(ctx, storage, all, cursors);
      ctx.progress("under ingestion: 64 producers × 100-entry bursts running");
      const signal = { stopped: false };
      const ingestion = drive({ storage, pool: new EntryPool(), producers: 64, burstSize: 100, signal });
      await new Promise((resolve) => setTimeout(resolve, ctx.quick ? 150 : 500));
      loaded = await measure(ctx, storage, all, cursors);
      signal.stopped = true;
      const result = await ingestion;
      if (result.errors > 0) throw new Error(`ingestion failed: ${result.firstError}`);
      ingestRate = result.rate;
      ctx.progress(`ingestion meanwhile: ${formatRate(ingestRate)} (${result.entries} entries)`);
    } finally {
      await storage.close();
      ctx.temp.remove(path);
    }

    // The same fields query with the key indexed (indexedFields): the index is built at open.
    const fieldsCase = all.find((c) => c.key === "fields")!;
    const indexedPath = ctx.temp.copy(cached, "reads-indexed");
    ctx.progress("fields query with indexedFields ['userId'] (builds the index at open)");
    const buildStarted = performance.now();
    const indexed = await openLogStorage({ url: ctx.temp.url(indexedPath), indexedFields: ["userId"] });
    const indexBuildMs = performance.now() - buildStarted;
    let indexedFigure: LatencyFigure;
    try {
      indexedFigure = (await measure(ctx, indexed, [fieldsCase], { page50: "", textPage5: "" }))[
        fieldsCase.key
      ]!;
    } finally {
      await indexed.close();
      ctx.temp.remove(indexedPath);
    }

    for (const c of all) {
      const a = idle[c.key]!;
      const b = loaded[c.key]!;
      out.figures[`idle.${c.key}`] = a;
      out.figures[`underIngest.${c.key}`] = b;
      out.table.push({
        query: c.label,
        "idle p50 ms": a.p50.toFixed(2),
        "idle p99 ms": a.p99.toFixed(2),
        "ingesting p50 ms": b.p50.toFixed(2),
        "ingesting p99 ms": b.p99.toFixed(2),
        "samples (idle/ingesting)": `${a.n}/${b.n}`,
        target: c.targetP50 === undefined ? "" : `p50 < ${c.targetP50} ms`,
      });
      if (c.targetP50 !== undefined) {
        for (const [phase, f] of [
          ["idle", a],
          ["under ingestion", b],
        ] as const) {
          const met = f.p50 < c.targetP50;
          out.targets.push({
            name: `${c.label} p50, ${phase}`,
            target: `< ${c.targetP50} ms`,
            actual: `${f.p50.toFixed(2)} ms`,
            met,
          });
          if (!met && phase === "idle")
            out.notes.push(`${c.label} misses its target; plan: ${plans[c.key]!.join(" → ")}`);
        }
      }
    }
    out.figures["idle.fieldsIndexed"] = indexedFigure;
    out.table.push({
      query: `${fieldsCase.label}, with indexedFields ["userId"]`,
      "idle p50 ms": indexedFigure.p50.toFixed(2),
      "idle p99 ms": indexedFigure.p99.toFixed(2),
      "ingesting p50 ms": "",
      "ingesting p99 ms": "",
      "samples (idle/ingesting)": `${indexedFigure.n}`,
      target: "",
    });
    out.notes.push(
      `With \`indexedFields: ["userId"]\` the same fields query is an index search: ${indexedFigure.p50.toFixed(2)} ms p50 (vs ${idle.fields!.p50.toFixed(0)} ms scanning); building the index over ${size} rows at open took ${(indexBuildMs / 1000).toFixed(1)} s.`,
    );
    const labels: Record<string, string> = {
      ftsCurrentCommon: 'raw SQL, match-driven plan: "timeout" (common)',
      ftsTimeDrivenCommon: 'raw SQL, +id (time-index driven, the storage\'s plan before): "timeout"',
      ftsAdaptiveCommon: `raw SQL, adaptive (count ≤ ${ADAPTIVE_THRESHOLD} ? match-driven : +id): "timeout"`,
      ftsNewestCommon: 'raw SQL, newest matches + proof (the storage\'s first-page plan): "timeout"',
      ftsCurrentRare: "raw SQL, match-driven plan: rare term (1 match)",
      ftsTimeDrivenRare: "raw SQL, +id (time-index driven): rare term",
      ftsAdaptiveRare: "raw SQL, adaptive: rare term",
      ftsNewestRare: "raw SQL, newest matches: rare term",
    };
    for (const [key, f] of Object.entries(alternatives)) {
      out.figures[`planAlternative.${key}`] = f;
      out.table.push({
        query: labels[key] ?? key,
        "idle p50 ms": f.p50.toFixed(2),
        "idle p99 ms": f.p99.toFixed(2),
        "ingesting p50 ms": "",
        "ingesting p99 ms": "",
        "samples (idle/ingesting)": `${f.n}`,
        target: "",
      });
    }
    const f = (key: string) => `${alternatives[key]!.p50.toFixed(1)} ms`;
    out.notes.push(
      `Full-text plans (packages/storage/src/newest-matches.ts, time-slice-matches.ts): a first page is read from the term's newest matches — FTS5 lists the newest 404 rowids cheaply, the page is sorted from those, and a walk of the time index over the rows newer than the page's last one proves that no older-id entry (one that arrived out of order) belongs; the few that might are checked against the text, and many send the query to the plan that reads every match. In raw SQL on this fixture: ${f("ftsNewestCommon")} against ${f("ftsTimeDrivenCommon")} for the +id plan the storage used before (it listed all of the term's ~6% matches, then walked the time index) and ${f("ftsCurrentCommon")} for SQLite's own choice. A page under a time bound (\`to\`, a cursor) takes a slice of the rows the page can come from, up to 50 pages' worth newest first, and reads the term's matches within the slice's id range, newest first from its top. FTS5 in this build reads a term's whole list for any rowid range (3–5 ms, like listing all matches) but stops early when asked for rowids descending with a LIMIT: the plans use only that form.`,
    );
    const fieldsIdle = idle.fields!;
    out.notes.push(
      `fields match (no target) scans log_entries_timestamp_idx newest-first and reads the field (json_type, then its text) per row until 101 hit: ${fieldsIdle.p50.toFixed(0)} ms p50 for a key matching 0.1% of rows (in a reader process: it does not stall ingestion acknowledgements). Keys listed in \`indexedFields\` get an index (below).`,
    );
    out.figures.ingestRateDuringReads = { kind: "value", unit: "entries/s", value: ingestRate, n: 1 };
    out.data = { entries: size, queryPlans: plans, window: { from: WINDOW_FROM, to: WINDOW_TO } };
    out.notes.push(
      `${size} entries over 7 days (~${Math.round(size / 168)} per hour), realistic mix (70% info, 5% error; ~90-byte messages, ~150-byte fields), FTS on; read through openLogStorage() on a copy of the cached fixture.`,
      `tinybench: ≥ ${ctx.quick ? 5 : 30} samples and ≥ ${ctx.quick ? 100 : 1000} ms per query; p99 of a few dozen samples is close to the max.`,
      `Under ingestion the store took ${formatRate(ingestRate)} at the same time${ctx.state.sustainableRate === undefined ? "" : ` (the same producers reached ${formatRate(ctx.state.sustainableRate)} without reads in the ceiling suite)`}. Reads run in the storage's reader processes (their own connection, a WAL snapshot: the writer never blocks them, and they never block the event loop that acknowledges commits); on 2 cores they still share the CPU with the main and writer threads, which is what pulls ingestion down.`,
      `Query plans: ${all.map((c) => `${c.key}: ${plans[c.key]!.join("; ")}`).join(" | ")}`,
    );
    out.charts = [
      {
        file: "reads-latency.svg",
        title: "Read latency percentiles",
        svg: barChart({
          title: `Read latency on ${size >= 1e6 ? `${size / 1e6}M` : `${size / 1000}k`} entries: idle vs under full ingestion`,
          yLabel: "ms (log)",
          yLog: true,
          bars: ["idle p50", "idle p99", "ingesting p50", "ingesting p99"],
          groups: all.map((c) => ({
            label: c.key,
            values: [idle[c.key]!.p50, idle[c.key]!.p99, loaded[c.key]!.p50, loaded[c.key]!.p99],
          })),
          yFormat: (v) => `${v} ms`,
        }),
      },
    ];
    return out;
  },
};
