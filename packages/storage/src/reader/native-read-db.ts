import { existsSync } from "node:fs";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import Database, { type Statement } from "libsql";
import * as schema from "../schema.js";

/** What the read side needs of Drizzle: async SQLite on either driver. */
export type ReadDb = BaseSQLiteDatabase<"async", unknown, typeof schema>;

/** Distinct statement texts kept prepared; texts with inlined values (bucket sizes) can be many. */
const MAX_PREPARED = 256;

/**
 * Drizzle over the native `libsql` driver (sqlite-proxy: Drizzle builds the SQL, we run it), for
 * the reader thread. The thread exists to run queries synchronously off the event loop, so the
 * async client's per-call machinery buys nothing there and costs: a 100-row page measured
 * 0.27 ms through a prepared native statement against 0.74 ms through @libsql/client's execute.
 * Rows cross as arrays, which is what Drizzle maps selects from; raw statements in the read side
 * use `values()` (positional on both drivers) for the same reason.
 */
export function openNativeReadDb(path: string, pragmas: string[]): { db: ReadDb; close(): void } {
  // opening creates a missing file: a reader started after the file was deleted would put an
  // empty database at its path, which the next start would take for the store
  if (!existsSync(path))
    throw new Error(`the database file ${path} does not exist (deleted while batchlog runs?)`);
  const native = new Database(path);
  for (const pragma of pragmas) native.exec(pragma);
  const prepared = new Map<string, Statement>();
  const statement = (sql: string): Statement => {
    let stmt = prepared.get(sql);
    if (stmt === undefined) {
      if (prepared.size >= MAX_PREPARED) prepared.clear();
      stmt = native.prepare(sql);
      // rows as arrays; raw() refuses statements that return none
      if (stmt.reader) stmt.raw(true);
      prepared.set(sql, stmt);
    }
    return stmt;
  };
  const db = drizzle(
    async (sql, params, method) => {
      const stmt = statement(sql);
      if (method === "run") {
        stmt.run(...params);
        return { rows: [] };
      }
      // "get" wants the row itself (or undefined), the other methods the list of rows
      return { rows: (method === "get" ? stmt.get(...params) : stmt.all(...params)) as unknown[] };
    },
    { schema },
  );
  return { db, close: () => native.close() };
}
