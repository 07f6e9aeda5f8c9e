import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { CLEANUP_CHUNK, runCleanup } from "../src/cleanup.js";
import { openLogStorage } from "../src/index.js";
import { type DeleteScope, deleteChunkSql } from "../src/writers/batch-writer.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

const base = Date.UTC(2026, 10, 1);
const ROWS = 48_000;
/** Every other row is info; the others are warn and error in turn. One row per second. */
const levelOf = (i: number) => (i % 2 === 0 ? 3 : i % 4 === 1 ? 4 : 5);

async function fixture(name: string): Promise<string> {
  const path = temp.path(name);
  await (await openLogStorage({ url: `file:${path}`, diskReserveBytes: 0 })).close();
  const db = new Database(path);
  try {
    const insert = db.prepare(
      "INSERT INTO log_entries (timestamp, level, source, message) VALUES (?, ?, 'app', ?)",
    );
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(base + i * 1000, levelOf(i), `entry ${i}`);
    })();
  } finally {
    db.close();
  }
  return path;
}

/**
 * Runs each chunk on a connection of the test's own and reads, from `sqlite_stmt`, the virtual
 * machine steps it took: proportional to the rows the chunk's walk visited, kept ones included.
 */
function steppingDeletes(db: Database.Database) {
  const statements = new Map<string, ReturnType<Database.Database["prepare"]>>();
  const count = db.prepare("SELECT nstep FROM sqlite_stmt WHERE sql = ?").raw();
  const steps = (sql: string) => Number((count.all(sql) as [number][])[0]?.[0] ?? 0);
  const chunks: { rows: number; steps: number }[] = [];
  return {
    chunks,
    deleteChunk: async (scope: DeleteScope, chunkSize: number) => {
      const { sql, args } = deleteChunkSql(scope, chunkSize);
      // kept prepared (its step count lives with it) and reused: the counter adds up per statement
      const statement = statements.get(sql) ?? db.prepare(sql);
      statements.set(sql, statement);
      const before = steps(sql);
      const rows = statement.run(...args).changes;
      chunks.push({ rows, steps: steps(sql) - before });
      return rows;
    },
    releaseFreePages: async () => 0,
    checkpoint: async () => {},
    mergeFullText: async () => false,
  };
}

describe("cleanup by level (olderThanByLevel)", () => {
  it("reads about as many rows per chunk as it deletes, however many older rows of other levels it keeps", async () => {
    const db = new Database(await fixture("by-level.db"));
    try {
      const deletes = steppingDeletes(db);
      const cutoff = 44_000; // warn and error before it go (22,000 rows); every info row stays
      const deleted = await runCleanup(
        deletes,
        null as never, // age retention reads nothing
        { olderThan: new Date(base + cutoff * 1000), olderThanByLevel: { info: new Date(base) } },
        { stopped: () => false },
      );
      expect(deleted).toBe(cutoff / 2);
      const full = deletes.chunks.filter((c) => c.rows === CLEANUP_CHUNK);
      expect(full.length).toBeGreaterThanOrEqual(3);
      // Flat: a walk over warn and error together along the timestamp index went through every
      // older info row from the oldest in each chunk, 5,000 more per chunk (steps 1×, 2×, 3×…).
      const perRow = full.map((c) => c.steps / c.rows);
      expect(Math.max(...perRow)).toBeLessThan(Math.min(...perRow) * 1.2);
      const left = db
        .prepare("SELECT level, count(*), min(timestamp) FROM log_entries GROUP BY level ORDER BY level")
        .raw()
        .all();
      expect(left).toEqual([
        [3, ROWS / 2, base],
        [4, (ROWS - cutoff) / 4, base + (cutoff + 1) * 1000],
        [5, (ROWS - cutoff) / 4, base + (cutoff + 3) * 1000],
      ]);
    } finally {
      db.close();
    }
  });
});
