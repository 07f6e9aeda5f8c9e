import type { Client, InStatement } from "@libsql/client";
import { classifyFailure, toDriverErrorInfo } from "../classify-error.js";
import type { EncodedRow } from "../entry-codec.js";
import type { BatchWriter, DeleteScope, RowOutcome, WriteResult } from "./batch-writer.js";
import { INSERT_SQL } from "./pragmas.js";

// 5 parameters a row; stay well under SQLite's 32766 bound parameters per statement.
const ROWS_PER_STATEMENT = 500;

/**
 * Writer over @libsql/client: libSQL servers (sqld, Turso) and embedded replicas, where the
 * `libsql` prepared-statement path is not available. Multi-row INSERTs in one write batch.
 */
export class ClientBatchWriter implements BatchWriter {
  readonly #client: Client;
  readonly #manageWal: boolean;

  constructor(client: Client, options: { manageWal: boolean }) {
    this.#client = client;
    this.#manageWal = options.manageWal;
  }

  async write(rows: EncodedRow[]): Promise<WriteResult> {
    try {
      const statements: InStatement[] = [];
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        statements.push(multiRowInsert(rows.slice(i, i + ROWS_PER_STATEMENT)));
      }
      const results = await this.#client.batch(statements, "write");
      // AUTOINCREMENT assigns ids in VALUES order inside the write lock; RETURNING's row order
      // is not guaranteed, so sort: the k-th smallest id belongs to the k-th row.
      const ids = results.flatMap((r) => r.rows.map((row) => Number(row[0])).sort((a, b) => a - b));
      if (ids.length !== rows.length) {
        return {
          ok: false,
          error: { message: `expected ${rows.length} ids, got ${ids.length}`, code: "ID_MISMATCH" },
        };
      }
      return { ok: true, ids };
    } catch (error) {
      const info = toDriverErrorInfo(error);
      if (classifyFailure(info) !== "content") return { ok: false, error: info };
    }
    return this.#writeIsolated(rows);
  }

  /** Row by row inside one interactive transaction: a failing statement does not abort the others. */
  async #writeIsolated(rows: EncodedRow[]): Promise<WriteResult> {
    let tx: Awaited<ReturnType<Client["transaction"]>> | undefined;
    try {
      tx = await this.#client.transaction("write");
      const outcomes: RowOutcome[] = [];
      for (const row of rows) {
        try {
          const result = await tx.execute({ sql: INSERT_SQL, args: row });
          outcomes.push(Number(result.lastInsertRowid));
        } catch (error) {
          const info = toDriverErrorInfo(error);
          if (classifyFailure(info) !== "content") throw error;
          outcomes.push(info);
        }
      }
      await tx.commit();
      return { ok: true, outcomes };
    } catch (error) {
      return { ok: false, error: toDriverErrorInfo(error) };
    } finally {
      tx?.close();
    }
  }

  async deleteChunk(scope: DeleteScope, chunkSize: number): Promise<number> {
    const where = scope.kind === "olderThan" ? "timestamp < ?" : "id <= ?";
    const bound = scope.kind === "olderThan" ? scope.beforeMs : scope.maxId;
    const order = scope.kind === "olderThan" ? "timestamp" : "id";
    const [result] = await this.#client.batch(
      [
        {
          sql: `DELETE FROM log_entries WHERE id IN (SELECT id FROM log_entries WHERE ${where} ORDER BY ${order} LIMIT ?)`,
          args: [bound, chunkSize],
        },
      ],
      "write",
    );
    return result?.rowsAffected ?? 0;
  }

  async checkpoint(mode: "PASSIVE" | "TRUNCATE"): Promise<void> {
    if (this.#manageWal) await this.#client.execute(`PRAGMA wal_checkpoint(${mode})`);
  }

  async close(): Promise<void> {
    // The client is shared with the reader; the storage closes it.
  }
}

function multiRowInsert(rows: EncodedRow[]): InStatement {
  const values = rows.map(() => "(?, ?, ?, ?, ?)").join(", ");
  return {
    sql: `INSERT INTO log_entries (timestamp, level, source, message, fields) VALUES ${values} RETURNING id`,
    args: rows.flat(),
  };
}
