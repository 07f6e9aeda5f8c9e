import Database from "libsql";
import { classifyFailure, toDriverErrorInfo } from "../classify-error.js";
import type { EncodedRow } from "../entry-codec.js";
import type { DeleteScope, RowOutcome, WriteResult } from "./batch-writer.js";
import { INSERT_SQL } from "./pragmas.js";

type Statement = ReturnType<Database.Database["prepare"]>;

export interface SqliteWriterOptions {
  path: string;
  pragmas: string[];
}

/**
 * Synchronous writer on one `libsql` connection with prepared statements: the fastest path this
 * machine has (FACTS.md). Used inside the writer worker, or in-process with `writerThread: false`.
 */
export class SqliteBatchWriter {
  readonly #db: Database.Database;
  readonly #insert: Statement;

  constructor(options: SqliteWriterOptions) {
    this.#db = new Database(options.path);
    for (const pragma of options.pragmas) this.#db.exec(pragma);
    this.#insert = this.#db.prepare(INSERT_SQL);
  }

  write(rows: EncodedRow[]): WriteResult {
    try {
      return { ok: true, ids: this.#inTransaction(() => rows.map((row) => this.#insertRow(row))) };
    } catch (error) {
      const info = toDriverErrorInfo(error);
      if (classifyFailure(info) !== "content") return { ok: false, error: info };
    }
    // Some row is bad: write them one by one, each behind a savepoint, so only the bad ones fail.
    try {
      return { ok: true, outcomes: this.#inTransaction(() => rows.map((row) => this.#insertIsolated(row))) };
    } catch (error) {
      return { ok: false, error: toDriverErrorInfo(error) };
    }
  }

  deleteChunk(scope: DeleteScope, chunkSize: number): number {
    const where = scope.kind === "olderThan" ? "timestamp < ?" : "id <= ?";
    const bound = scope.kind === "olderThan" ? scope.beforeMs : scope.maxId;
    const order = scope.kind === "olderThan" ? "timestamp" : "id";
    const sql = `DELETE FROM log_entries WHERE id IN (SELECT id FROM log_entries WHERE ${where} ORDER BY ${order} LIMIT ?)`;
    return this.#inTransaction(() => this.#db.prepare(sql).run(bound, chunkSize).changes);
  }

  checkpoint(mode: "PASSIVE" | "TRUNCATE"): void {
    this.#db.exec(`PRAGMA wal_checkpoint(${mode})`);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #insertRow(row: EncodedRow): number {
    return Number(this.#insert.run(row).lastInsertRowid);
  }

  #insertIsolated(row: EncodedRow): RowOutcome {
    this.#db.exec("SAVEPOINT row");
    try {
      const id = this.#insertRow(row);
      this.#db.exec("RELEASE row");
      return id;
    } catch (error) {
      this.#db.exec("ROLLBACK TO row");
      this.#db.exec("RELEASE row");
      const info = toDriverErrorInfo(error);
      if (classifyFailure(info) !== "content") throw error;
      return info;
    }
  }

  #inTransaction<T>(body: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = body();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}
