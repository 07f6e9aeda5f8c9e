import { randomUUID } from "node:crypto";
import type { Client, InStatement } from "@libsql/client";
import { classifyFailure, type DriverErrorInfo, toDriverErrorInfo } from "../classify-error.js";
import { type EncodedRow, parseRow } from "../entry-codec.js";
import { rowText } from "../row-spans.js";
import { AttemptRows } from "./attempt-rows.js";
import {
  type BatchWriter,
  type DeleteScope,
  deleteChunkSql,
  MERGE_FULL_TEXT_SQL,
  type RowOutcome,
  type RowToWrite,
  type WriteResult,
} from "./batch-writer.js";
import { INSERT_SQL } from "./pragmas.js";

// 5 parameters a row; stay well under SQLite's 32766 bound parameters per statement.
const ROWS_PER_STATEMENT = 500;

/**
 * One row per committed batch, written in the batch's own transaction: over a network a commit
 * can succeed while its response is lost (server killed, connection reset). The retry re-sends the
 * same attempt with the same token; if the first one had committed, the token's primary key
 * refuses the second and the ids are read back from here instead of inserting the rows twice.
 */
export const WRITE_TOKENS_TABLE = "batchlog_write_tokens";
const CREATE_TOKENS_SQL = [
  `CREATE TABLE IF NOT EXISTS ${WRITE_TOKENS_TABLE} (
  token TEXT PRIMARY KEY NOT NULL,
  last_id INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  outcomes TEXT,
  committed_at INTEGER NOT NULL
) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS ${WRITE_TOKENS_TABLE}_committed_at_idx ON ${WRITE_TOKENS_TABLE} (committed_at)`,
];
/** Tokens are pruned once no retry can still refer to them. */
const MIN_TOKEN_RETENTION_MS = 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 1000;

/** A write attempt that may have committed without our knowing: retried verbatim, same token. */
interface Attempt {
  token: string;
  /** The queue's row objects: their identity tells a retry of this attempt from a new batch. */
  sources: AttemptRows;
  rows: EncodedRow[];
}

export interface ClientBatchWriterOptions {
  /** Checkpoint the WAL (a local file through the client); false where the server owns the WAL. */
  manageWal: boolean;
  /** Embedded replica: reads are local, so sync before reading back a token. */
  replica?: boolean;
  /** How long write tokens are kept: at least the longest a batch can be retried. @default 1 h */
  tokenRetentionMs?: number;
}

/**
 * Writer over @libsql/client: libSQL servers (sqld, Turso) and embedded replicas, where the
 * `libsql` prepared-statement path is not available. Multi-row INSERTs in one write batch, made
 * idempotent across retries by a write token (see WRITE_TOKENS_TABLE).
 */
export class ClientBatchWriter implements BatchWriter {
  /** A lost answer leaves the commit unknown; the retry re-sends the attempt (see WRITE_TOKENS_TABLE). */
  readonly failureMayHaveCommitted = true;
  readonly writesOffThread = true;
  readonly #client: Client;
  readonly #manageWal: boolean;
  readonly #replica: boolean;
  readonly #tokenRetentionMs: number;
  #tokensReady = false;
  #lastPruneAt = 0;
  #attempt: Attempt | null = null;

  constructor(client: Client, options: ClientBatchWriterOptions) {
    this.#client = client;
    this.#manageWal = options.manageWal;
    this.#replica = options.replica ?? false;
    this.#tokenRetentionMs = Math.max(MIN_TOKEN_RETENTION_MS, options.tokenRetentionMs ?? 0);
  }

  async write(rows: readonly RowToWrite[]): Promise<WriteResult> {
    const attempt = this.#attemptFor(rows);
    try {
      await this.#ensureTokens();
      const statements: InStatement[] = [];
      for (let i = 0; i < attempt.rows.length; i += ROWS_PER_STATEMENT) {
        statements.push(multiRowInsert(attempt.rows.slice(i, i + ROWS_PER_STATEMENT)));
      }
      const inserts = statements.length;
      // last_insert_rowid() is the last log_entries id here (FTS trigger inserts do not leak out).
      statements.push({
        sql: `INSERT INTO ${WRITE_TOKENS_TABLE} (token, last_id, row_count, committed_at) VALUES (?, last_insert_rowid(), ?, ?)`,
        args: [attempt.token, attempt.rows.length, Date.now()],
      });
      statements.push(...this.#pruneStatements());
      const results = await this.#client.batch(statements, "write");
      // AUTOINCREMENT assigns ids in VALUES order inside the write lock; RETURNING's row order
      // is not guaranteed, so sort: the k-th smallest id belongs to the k-th row.
      const ids = results
        .slice(0, inserts)
        .flatMap((r) => r.rows.map((row) => Number(row[0])).sort((a, b) => a - b));
      // Committed. Should RETURNING ever come back short, the token row still knows the ids.
      if (ids.length !== attempt.rows.length) return this.#readBack(rows, attempt);
      this.#attempt = null;
      return { ok: true, ids: attempt.sources.pick(rows, ids) };
    } catch (error) {
      if (isTokenConflict(error)) return this.#readBack(rows, attempt);
      const info = errorInfo(error);
      // Not a content failure: possibly committed; the next write of these rows re-sends the attempt.
      if (classifyFailure(info) !== "content") return { ok: false, error: info };
    }
    return this.#writeIsolated(rows, attempt);
  }

  /** Row by row inside one interactive transaction: a failing statement does not abort the others. */
  async #writeIsolated(rows: readonly RowToWrite[], attempt: Attempt): Promise<WriteResult> {
    let tx: Awaited<ReturnType<Client["transaction"]>> | undefined;
    try {
      tx = await this.#client.transaction("write");
      const outcomes: RowOutcome[] = [];
      for (const row of attempt.rows) {
        try {
          const result = await tx.execute({ sql: INSERT_SQL, args: row });
          outcomes.push(Number(result.lastInsertRowid));
        } catch (error) {
          const info = errorInfo(error);
          if (classifyFailure(info) !== "content") throw error;
          outcomes.push(info);
        }
      }
      const lastId = outcomes.reduce<number>((max, o) => (typeof o === "number" ? Math.max(max, o) : max), 0);
      await tx.execute({
        sql: `INSERT INTO ${WRITE_TOKENS_TABLE} (token, last_id, row_count, outcomes, committed_at) VALUES (?, ?, ?, ?, ?)`,
        args: [attempt.token, lastId, attempt.rows.length, JSON.stringify(outcomes), Date.now()],
      });
      await tx.commit();
      this.#attempt = null;
      return { ok: true, outcomes: attempt.sources.pick(rows, outcomes) };
    } catch (error) {
      if (isTokenConflict(error)) {
        tx?.close();
        tx = undefined;
        return this.#readBack(rows, attempt);
      }
      return { ok: false, error: errorInfo(error) };
    } finally {
      tx?.close();
    }
  }

  /** The attempt's token is already committed: an earlier try went through. Return its ids. */
  async #readBack(rows: readonly RowToWrite[], attempt: Attempt): Promise<WriteResult> {
    try {
      if (this.#replica) await this.#client.sync();
      const result = await this.#client.execute({
        sql: `SELECT last_id, row_count, outcomes FROM ${WRITE_TOKENS_TABLE} WHERE token = ?`,
        args: [attempt.token],
      });
      const found = result.rows[0];
      if (found === undefined || Number(found[1]) !== attempt.rows.length) {
        return {
          ok: false,
          error: { message: `write token ${attempt.token} conflicts but cannot be read back`, code: "TOKEN" },
        };
      }
      this.#attempt = null;
      if (found[2] !== null) {
        const outcomes = JSON.parse(String(found[2])) as RowOutcome[];
        return { ok: true, outcomes: attempt.sources.pick(rows, outcomes) };
      }
      const first = Number(found[0]) - attempt.rows.length + 1;
      return {
        ok: true,
        ids: attempt.sources.pick(
          rows,
          attempt.rows.map((_, i) => first + i),
        ),
      };
    } catch (error) {
      return { ok: false, error: errorInfo(error) };
    }
  }

  /**
   * The previous attempt again when these rows all belong to it (the queue retrying the same batch,
   * perhaps without entries that timed out meanwhile: they are re-sent too, so that the token
   * always stands for the same rows), else a new attempt.
   */
  #attemptFor(rows: readonly RowToWrite[]): Attempt {
    const previous = this.#attempt;
    if (previous?.sources.covers(rows)) return previous;
    const attempt: Attempt = {
      token: randomUUID(),
      sources: new AttemptRows(rows),
      rows: rows.map((row) => parseRow(rowText(row))),
    };
    this.#attempt = attempt;
    return attempt;
  }

  async #ensureTokens(): Promise<void> {
    if (this.#tokensReady) return;
    await this.#client.batch(CREATE_TOKENS_SQL, "write");
    this.#tokensReady = true;
  }

  #pruneStatements(): InStatement[] {
    const now = Date.now();
    if (now - this.#lastPruneAt < PRUNE_EVERY_MS) return [];
    this.#lastPruneAt = now;
    return [
      {
        sql: `DELETE FROM ${WRITE_TOKENS_TABLE} WHERE committed_at < ?`,
        args: [now - this.#tokenRetentionMs],
      },
    ];
  }

  async deleteChunk(scope: DeleteScope, chunkSize: number): Promise<number> {
    const [result] = await this.#client.batch([deleteChunkSql(scope, chunkSize)], "write");
    return result?.rowsAffected ?? 0;
  }

  /**
   * Never releases: @libsql/client steps `PRAGMA incremental_vacuum` once and leaves it in
   * progress (measured: SQLITE_LOCKED, or "SQL statements in progress" at COMMIT), and a server
   * manages its own file. The freed pages are reused by later inserts.
   */
  async releaseFreePages(_maxPages: number): Promise<number> {
    return 0;
  }

  async mergeFullText(pages: number, begin: boolean): Promise<boolean> {
    const [before, , after] = await this.#client.batch(
      [
        "SELECT total_changes()",
        { sql: MERGE_FULL_TEXT_SQL, args: [begin ? -pages : pages] },
        "SELECT total_changes()",
      ],
      "write",
    );
    return Number(after?.rows[0]?.[0] ?? 0) - Number(before?.rows[0]?.[0] ?? 0) >= 2;
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

/**
 * The driver's error, without the native backtrace an embedded replica appends to its messages
 * (they end up in health reasons and logs).
 */
function errorInfo(error: unknown): DriverErrorInfo {
  const info = toDriverErrorInfo(error);
  const cut = info.message.indexOf("\nStack backtrace:");
  if (cut >= 0) info.message = info.message.slice(0, cut).trim();
  return info;
}

/** The token's primary key refused the insert: this attempt committed before. */
function isTokenConflict(error: unknown): boolean {
  const info: DriverErrorInfo = errorInfo(error);
  return /UNIQUE constraint failed/i.test(info.message) && info.message.includes(WRITE_TOKENS_TABLE);
}
