import { openLogStorage, resolveBatchConfig } from "@batchlog/storage";
import Database from "libsql";
import { startCheckpointLoop } from "../checkpoint-loop.js";
import { EntryPool } from "../fixtures.js";
import { writeInParallel } from "../parallel-writers.js";
import { BULK_INSERT_SQL, encodeRow, INSERT_SQL, storagePragmas } from "../raw-driver.js";
import { formatRate } from "../stats.js";
import { emptyOutput, type Suite } from "../suite.js";

interface Phases {
  beginUs: number;
  insertUs: number;
  commitUs: number;
  rowsPerSecond: number;
  /** WAL frames (4 KiB pages) a commit writes; null when not probed. */
  framesPerCommit: number | null;
}

/**
 * Suite 7: where a write transaction's time goes, on the raw driver with the storage's schema and
 * pragmas — the profile behind the ceiling and old-vs-new figures. BEGIN, the INSERT (one
 * statement per batch, as the storage writes, or one per row) and COMMIT, timed apart, for the
 * transaction sizes the other suites produce (64 rows: 64 closed-loop producers; 1000 rows: bursts).
 */
export const anatomy: Suite = {
  name: "anatomy",
  title: "Anatomy of a write transaction (raw driver, the storage's schema)",
  async run(ctx) {
    const out = emptyOutput();
    const pool = new EntryPool(20_000, 7);
    const now = Date.now();
    const rows = pool.take(20_000).map((e) => JSON.stringify(encodeRow(e, now)));
    const templates = new Map<boolean, string>();
    for (const fullText of [false, true]) {
      const template = ctx.temp.path(`anatomy-fts-${fullText}`);
      await (await openLogStorage({ url: ctx.temp.url(template), fullText })).close();
      templates.set(fullText, template);
    }
    const cases: readonly Case[] = [
      { txRows: 64, statement: "batch", checkpointer: false },
      { txRows: 1000, statement: "batch", checkpointer: false },
      { txRows: 1000, statement: "batch", checkpointer: true },
      { txRows: 1000, statement: "per row", checkpointer: false },
    ];
    for (const fullText of [false, true]) {
      // Schema alternatives for small commits, FTS off (the ceiling's missed cell): what each
      // secondary index costs a 64-row commit, and the bound of deferring the two composite ones.
      const alternatives: readonly Case[] = fullText
        ? []
        : [
            { txRows: 64, statement: "batch", checkpointer: false, schema: WITHOUT_SOURCE_INDEX },
            { txRows: 64, statement: "batch", checkpointer: false, schema: WITHOUT_LEVEL_INDEX },
            { txRows: 64, statement: "batch", checkpointer: false, schema: DEFERRED_INDEXES },
          ];
      for (const c of [...cases, ...alternatives]) {
        const label = `${c.txRows}-row tx, ${c.statement === "batch" ? "one INSERT … json_each (as the storage)" : "one prepared INSERT per row"}${c.checkpointer ? ", checkpointer thread alongside" : ""}${c.schema ? `, ${c.schema.label}` : ""}`;
        ctx.progress(`FTS ${fullText ? "on" : "off"}: ${label}`);
        const copy = ctx.temp.copy(templates.get(fullText)!, "anatomy");
        const budget = (ctx.quick ? 60_000 : 240_000) / (fullText ? 2 : 1);
        // the checkpointer's thread is up (its connection open) before the timing starts
        const loop = c.checkpointer ? startCheckpointLoop(copy) : null;
        if (loop !== null) await new Promise((resolve) => setTimeout(resolve, 100));
        // the page count is the row above's: a concurrent checkpoint would only blur the probe
        const p = measure(copy, rows, c, budget, loop === null);
        await loop?.stop();
        ctx.temp.remove(copy);
        const key = `fts-${fullText ? "on" : "off"}.${c.txRows}.${c.statement === "batch" ? "batch" : "perRow"}${c.checkpointer ? "Checkpointer" : ""}${c.schema ? `.${c.schema.key}` : ""}`;
        out.figures[`${key}.rowsPerSecond`] = { kind: "value", unit: "rows/s", value: p.rowsPerSecond };
        out.figures[`${key}.commitUs`] = { kind: "value", unit: "µs", value: p.commitUs };
        out.table.push({
          FTS: fullText ? "on" : "off",
          transaction: label,
          "BEGIN µs": Math.round(p.beginUs),
          "INSERT µs": Math.round(p.insertUs),
          "COMMIT µs": Math.round(p.commitUs),
          "INSERT µs/row": (p.insertUs / c.txRows).toFixed(1),
          "fixed share": `${Math.round((100 * (p.beginUs + p.commitUs)) / (p.beginUs + p.insertUs + p.commitUs))}%`,
          "WAL pages/commit": p.framesPerCommit === null ? "" : Math.round(p.framesPerCommit),
          "rows/s": Math.round(p.rowsPerSecond),
        });
      }
    }
    // How much SQLite this machine writes with every core busy: the bound for the HTTP suite.
    const cores = 2;
    const capacity: string[] = [];
    for (const fullText of [true, false]) {
      ctx.progress(`FTS ${fullText ? "on" : "off"}: ${cores} threads writing ${cores} files at once`);
      const copies = Array.from({ length: cores }, () => ctx.temp.copy(templates.get(fullText)!, "parallel"));
      const rates = await writeInParallel(copies, rows, ctx.quick ? 1000 : 4000);
      for (const copy of copies) ctx.temp.remove(copy);
      const total = rates.reduce((a, b) => a + b, 0);
      out.figures[`fts-${fullText ? "on" : "off"}.${cores}threads.rowsPerSecond`] = {
        kind: "value",
        unit: "rows/s",
        value: total,
      };
      if (fullText) ctx.state.parallelWriteCapacityFtsOn = total;
      capacity.push(
        `FTS ${fullText ? "on" : "off"} ${formatRate(total)} (${rates.map(formatRate).join(" + ")})`,
      );
    }
    out.notes.push(
      `Every core writing at once: ${cores} threads, each the raw driver on its own copy of the file with 1000-row one-statement transactions: ${capacity.join("; ")}. Roughly the most this machine writes into SQLite with this schema however the writes are spread (sharding included), before any HTTP parsing or validation.`,
    );
    out.notes.push(
      `Schema alternatives (FTS off, not the storage's schema): "${WITHOUT_SOURCE_INDEX.label}" and "${WITHOUT_LEVEL_INDEX.label}" show what each composite index adds to a small commit (a hot leaf per source or level, and the splits of leaves in the middle of an index, which rewrite their siblings too). "${DEFERRED_INDEXES.label}" is the bound of a design not shipped: rows are committed outside the (level, timestamp) and (source, timestamp) indexes (partial indexes on an \`indexed\` column) and brought into them ${DEFERRED_EVERY} rows at a time by one UPDATE in a transaction of its own, timed into COMMIT; reads would have to search the not-yet-indexed newest rows apart.`,
    );
    out.notes.push(
      `Raw \`libsql\` on a fresh copy of the migrated file, the storage's pragmas (WAL, synchronous=FULL, wal_autocheckpoint ${resolveBatchConfig({}).walAutocheckpoint}); each phase timed apart and averaged over the transactions of one run. \`fixed share\`: BEGIN + COMMIT, the part of a transaction that does not shrink with fewer rows.`,
      "COMMIT writes every page the transaction dirtied to the WAL and fsyncs it, and runs the checkpoints the WAL's growth triggers (wal_autocheckpoint, amortized in the figure). WAL pages/commit is counted apart, over 8 commits after a truncating checkpoint. A small transaction dirties nearly as many pages as a large one: the table's last leaf, the last leaf of each level's and each source's range in the two composite indexes, the FTS5 segment, sqlite_sequence.",
      "One INSERT per row (what a prepared-statement loop does) pays the FTS5 trigger's fixed cost per statement: compare the INSERT µs/row of the 1000-row rows with FTS on.",
      'Checkpointer thread alongside: a second connection in its own thread runs a PASSIVE checkpoint every 25 ms while the transactions run, as the storage\'s checkpointer thread does after commits (README, "Checkpoints off the writer"): COMMIT then rarely finds WAL pages left to copy when the WAL reaches wal_autocheckpoint. Compare its COMMIT µs with the row above it.',
    );
    return out;
  },
};

interface Case {
  txRows: number;
  statement: "batch" | "per row";
  checkpointer: boolean;
  schema?: SchemaAlternative;
}

interface SchemaAlternative {
  label: string;
  key: string;
  /** DDL run on the copy before the timing. */
  ddl: string;
  /** For one connection: what runs after each commit of `rows` rows, timed into COMMIT. */
  onCommit?: (db: Database.Database) => (rows: number) => void;
}

const WITHOUT_SOURCE_INDEX: SchemaAlternative = {
  label: "without the (source, timestamp) index",
  key: "noSourceIndex",
  ddl: "DROP INDEX log_entries_source_timestamp_idx",
};

const WITHOUT_LEVEL_INDEX: SchemaAlternative = {
  label: "without the (level, timestamp) index",
  key: "noLevelIndex",
  ddl: "DROP INDEX log_entries_level_timestamp_idx",
};

const DEFERRED_EVERY = 2048;

const DEFERRED_INDEXES: SchemaAlternative = {
  label: `level/source indexes deferred, caught up every ${DEFERRED_EVERY} rows`,
  key: "deferredIndexes",
  ddl: [
    "ALTER TABLE log_entries ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0",
    "DROP INDEX log_entries_level_timestamp_idx",
    "DROP INDEX log_entries_source_timestamp_idx",
    "CREATE INDEX deferred_level_idx ON log_entries (level, timestamp) WHERE indexed = 1",
    "CREATE INDEX deferred_source_idx ON log_entries (source, timestamp) WHERE indexed = 1",
  ].join(";"),
  onCommit: (db) => {
    const newest = db.prepare("SELECT max(id) AS id FROM log_entries");
    const catchUp = db.prepare("UPDATE log_entries SET indexed = 1 WHERE id > ? AND id <= ?");
    let pending = 0;
    let indexedTo = 0;
    return (rows) => {
      pending += rows;
      if (pending < DEFERRED_EVERY) return;
      const last = (newest.get() as { id: number }).id;
      db.exec("BEGIN IMMEDIATE");
      catchUp.run(indexedTo, last);
      db.exec("COMMIT");
      indexedTo = last;
      pending = 0;
    };
  },
};

function measure(
  path: string,
  rows: readonly string[],
  c: Case,
  rowBudget: number,
  probeFrames: boolean,
): Phases {
  const { txRows } = c;
  const oneStatement = c.statement === "batch";
  const db = new Database(path);
  try {
    if (c.schema) db.exec(c.schema.ddl);
    for (const pragma of storagePragmas("full")) db.exec(pragma);
    const afterCommit = c.schema?.onCommit?.(db);
    const bulk = db.prepare(BULK_INSERT_SQL);
    const single = db.prepare(INSERT_SQL);
    const parsed = oneStatement ? [] : rows.map((r) => JSON.parse(r) as unknown[]);
    const transactions = Math.max(20, Math.floor(rowBudget / txRows));
    let begin = 0;
    let insert = 0;
    let commit = 0;
    let next = 0;
    const transaction = () => {
      const offset = (next++ * txRows) % (rows.length - txRows);
      const batch = oneStatement ? `[${rows.slice(offset, offset + txRows).join(",")}]` : "";
      const t0 = performance.now();
      db.exec("BEGIN IMMEDIATE");
      const t1 = performance.now();
      if (oneStatement) bulk.run(batch);
      else for (let r = offset; r < offset + txRows; r++) single.run(parsed[r]);
      const t2 = performance.now();
      db.exec("COMMIT");
      afterCommit?.(txRows);
      const t3 = performance.now();
      begin += t1 - t0;
      insert += t2 - t1;
      commit += t3 - t2;
    };
    for (let i = 0; i < transactions; i++) transaction();
    const phases = {
      beginUs: (1000 * begin) / transactions,
      insertUs: (1000 * insert) / transactions,
      commitUs: (1000 * commit) / transactions,
      rowsPerSecond: (transactions * txRows * 1000) / (begin + insert + commit),
    };
    if (!probeFrames) return { ...phases, framesPerCommit: null };
    // Pages a commit writes: a few commits into an emptied WAL, no checkpoint in between (as many
    // as one deferred catch-up spans, when there is one, so that its pages are counted too).
    const probe = afterCommit ? Math.ceil(DEFERRED_EVERY / txRows) : 8;
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db.exec("PRAGMA wal_autocheckpoint = 0");
    for (let i = 0; i < probe; i++) transaction();
    const wal = db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as { log: number };
    return { ...phases, framesPerCommit: wal.log / probe };
  } finally {
    db.close();
  }
}
