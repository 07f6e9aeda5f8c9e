import { statSync } from "node:fs";
import Database from "libsql";
import {
  classifyFailure,
  DATABASE_FILE_GONE,
  type DriverErrorInfo,
  isDiskFull,
  toDriverErrorInfo,
} from "../classify-error.js";
import { DiskReserve } from "../disk-reserve.js";
import type { EncodedRow } from "../entry-codec.js";
import {
  type DeleteScope,
  deleteChunkSql,
  MERGE_FULL_TEXT_SQL,
  type RowOutcome,
  type WriteResult,
} from "./batch-writer.js";
import { BULK_INSERT_SQL, INSERT_SQL } from "./pragmas.js";

type Statement = ReturnType<Database.Database["prepare"]>;

export interface SqliteWriterOptions {
  path: string;
  pragmas: string[];
  /** Bytes kept in `<db>.reserve` for the disk-full way out (see DiskReserve); 0 disables it. */
  reserveBytes?: number | undefined;
}

const utf8 = new TextDecoder();

/** How often the disk reserve is checked (and re-created if missing) after successful writes. */
const RESERVE_RETRY_MS = 1000;

/**
 * Synchronous writer on one `libsql` connection with prepared statements: the fastest path this
 * machine has (FACTS.md). Used inside the writer worker, or in-process with `writerThread: false`.
 */
export class SqliteBatchWriter {
  readonly #db: Database.Database;
  readonly #insert: Statement;
  readonly #bulkInsert: Statement;
  readonly #sequence: { get(): unknown };
  readonly #reserve: DiskReserve | null;
  /** Page size when the file was created with auto_vacuum=INCREMENTAL, else 0 (nothing to release). */
  readonly #releasablePageSize: number;
  #reserveMissing = false;
  #reserveTriedAt = 0;
  readonly #path: string;
  /** The file opened (device and inode), to notice it deleted or replaced under us; null in memory. */
  readonly #opened: { dev: number; ino: number } | null;

  constructor(options: SqliteWriterOptions) {
    this.#db = new Database(options.path);
    this.#path = options.path;
    const stat = statSync(options.path, { throwIfNoEntry: false });
    this.#opened = stat === undefined ? null : { dev: stat.dev, ino: stat.ino };
    for (const pragma of options.pragmas) this.#db.exec(pragma);
    this.#insert = this.#db.prepare(INSERT_SQL);
    this.#bulkInsert = this.#db.prepare(BULK_INSERT_SQL);
    this.#sequence = this.#db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'log_entries'").raw();
    this.#releasablePageSize = this.#pragma("auto_vacuum") === 2 ? this.#pragma("page_size") : 0;
    const reserveBytes = options.reserveBytes ?? 0;
    this.#reserve = reserveBytes > 0 ? new DiskReserve(options.path, reserveBytes) : null;
    if (this.#reserve !== null) this.#reserveMissing = !this.#reserve.ensure();
  }

  /** The last id handed out (AUTOINCREMENT's sequence; ids are never reused), 0 before the first. */
  sequence(): number {
    const row = this.#sequence.get() as [number] | undefined;
    return Number(row?.[0] ?? 0);
  }

  /**
   * Writes `count` rows, given as one JSON array of rowJson texts in UTF-8 (joinRows), in one
   * transaction.
   *
   * `lostAfter`: these rows were sent before to a writer thread that died before answering, when
   * the sequence stood at `lostAfter`; see #recoverLost.
   */
  write(batch: Uint8Array, count: number, lostAfter?: number): WriteResult {
    const recovered = lostAfter === undefined ? null : this.#recoverLost(batch, count, lostAfter);
    if (recovered !== null) return recovered;
    const result = this.#write(batch, count);
    if (!result.ok && isDiskFull(result.error)) {
      return { ok: false, error: { ...result.error, message: this.#escapeDiskFull(result.error).message } };
    }
    if (result.ok) {
      // after the COMMIT, so that no batch committed into a file already unlinked is acknowledged
      const gone = this.#fileGone();
      if (gone !== null) return { ok: false, error: gone };
      this.#restoreReserve(false);
    }
    return result;
  }

  /**
   * Whether the path still names the file this connection has open. Deleted (`rm batchlog.db`)
   * or replaced (a `mv` over it), the connection goes on writing into a file no one can open
   * again, and SQLite in WAL mode does not notice: every acknowledged entry would be lost at the
   * next start. A stat per batch (a few µs) against a commit of ~1 ms.
   */
  #fileGone(): DriverErrorInfo | null {
    if (this.#opened === null) return null;
    const now = statSync(this.#path, { throwIfNoEntry: false });
    if (now !== undefined && now.dev === this.#opened.dev && now.ino === this.#opened.ino) return null;
    return {
      message:
        `the database file ${this.#path} was ${now === undefined ? "deleted" : "replaced by another file"} while open: ` +
        "what is written now would be lost with it, so writes stop. Restart batchlog to open the file at that path",
      code: DATABASE_FILE_GONE,
    };
  }

  #write(batch: Uint8Array, count: number): WriteResult {
    try {
      return { ok: true, ids: this.#inTransaction(() => this.#insertBatch(batch, count)) };
    } catch (error) {
      const info = toDriverErrorInfo(error);
      if (classifyFailure(info) !== "content") return { ok: false, error: info };
    }
    // Some row is bad: write them one by one, each behind a savepoint, so only the bad ones fail.
    try {
      const rows = JSON.parse(utf8.decode(batch)) as EncodedRow[];
      if (rows.length !== count) throw new Error(`batch holds ${rows.length} rows, expected ${count}`);
      return { ok: true, outcomes: this.#inTransaction(() => rows.map((row) => this.#insertIsolated(row))) };
    } catch (error) {
      return { ok: false, error: toDriverErrorInfo(error) };
    }
  }

  /**
   * What a lost attempt committed, found by content: a transaction's rows take consecutive ids,
   * so the attempt committed whole if the batch's rows are stored, in order, at consecutive ids
   * after `lostAfter` (those ids); if it went row by row for bad rows, the rows are replayed one
   * by one in a transaction that is rolled back, to learn which ones the database refuses, and
   * the good ones are looked for the same way. Found neither way, it rolled back: null, write the
   * rows now. Content, not the sequence alone, decides: another process writing the same file
   * moves the sequence too, and its rows must neither pass for these (which would lose them) nor
   * hide them (which would write them twice).
   */
  #recoverLost(batch: Uint8Array, count: number, lostAfter: number): WriteResult | null {
    const newest = this.sequence();
    if (newest - lostAfter <= 0) return null;
    let rows: EncodedRow[];
    try {
      rows = JSON.parse(utf8.decode(batch)) as EncodedRow[];
    } catch {
      return null;
    }
    if (rows.length !== count) return null;
    const first = this.#findCommitted(rows, lostAfter, newest);
    if (first !== null) return { ok: true, ids: Array.from({ length: count }, (_, i) => first + i) };
    let outcomes: RowOutcome[];
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        outcomes = rows.map((row) => this.#insertIsolated(row));
      } finally {
        if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
      }
    } catch {
      return null;
    }
    const good = rows.filter((_, i) => typeof outcomes[i] === "number");
    if (good.length === 0 || good.length === count) return null;
    const firstGood = this.#findCommitted(good, lostAfter, newest);
    if (firstGood === null) return null;
    let next = firstGood;
    return {
      ok: true,
      outcomes: outcomes.map((outcome) => (typeof outcome === "number" ? next++ : outcome)),
    };
  }

  /** The first of consecutive ids in (after, newest] holding exactly `rows`, in order; else null. */
  #findCommitted(rows: EncodedRow[], after: number, newest: number): number | null {
    const [timestamp, level, source, message, fields] = rows[0] as EncodedRow;
    const starts = this.#db
      .prepare(
        "SELECT id FROM log_entries WHERE id > ? AND id <= ? AND timestamp = ? AND level = ? " +
          "AND source = ? AND message = ? AND fields IS ? ORDER BY id",
      )
      .raw()
      .all(after, newest - rows.length + 1, timestamp, level, source, message, fields) as [number][];
    const run = this.#db
      .prepare(
        "SELECT timestamp, level, source, message, fields FROM log_entries WHERE id >= ? AND id < ? ORDER BY id",
      )
      .raw();
    for (const [start] of starts) {
      const stored = run.all(start, Number(start) + rows.length) as unknown[][];
      if (stored.length === rows.length && stored.every((row, i) => sameRow(row, rows[i] as EncodedRow))) {
        return Number(start);
      }
    }
    return null;
  }

  deleteChunk(scope: DeleteScope, chunkSize: number): number {
    const { sql, args } = deleteChunkSql(scope, chunkSize);
    return this.#inTransaction(() => this.#db.prepare(sql).run(...args).changes);
  }

  releaseFreePages(maxPages: number): number {
    if (this.#releasablePageSize === 0) return 0;
    const free = () => this.#pragma("freelist_count");
    const before = free();
    if (before === 0) return 0;
    // stepped to the end: the pragma moves one page per step
    this.#db.prepare(`PRAGMA incremental_vacuum(${Math.trunc(maxPages)})`).all();
    return (before - free()) * this.#releasablePageSize;
  }

  mergeFullText(pages: number, begin: boolean): boolean {
    const changes = () => this.#value("SELECT total_changes()");
    return this.#inTransaction(() => {
      const before = changes();
      this.#db.prepare(MERGE_FULL_TEXT_SQL).run(begin ? -pages : pages);
      // FTS5's own test of whether a merge did anything (the command itself counts one)
      return changes() - before >= 2;
    });
  }

  checkpoint(mode: "PASSIVE" | "TRUNCATE"): void {
    let outcome: "done" | "busy" = "done";
    try {
      outcome = this.#walCheckpoint(mode);
    } catch (error) {
      const info = toDriverErrorInfo(error);
      if (!isDiskFull(info)) throw error;
      const wayOut = this.#escapeDiskFull(info);
      if (wayOut.checkpoint !== "done") {
        throw Object.assign(new Error(wayOut.message), { code: info.code, rawCode: info.rawCode });
      }
    }
    // A PASSIVE one may find another running; a TRUNCATE that could not finish (a reader's
    // snapshot, another checkpoint) leaves the WAL whole: say so rather than close as if it had.
    if (outcome === "busy" && mode === "TRUNCATE") {
      throw Object.assign(
        new Error(
          "WAL checkpoint (TRUNCATE) blocked by another connection (a reader's snapshot): the WAL is left to a later checkpoint",
        ),
        { code: "SQLITE_BUSY" },
      );
    }
    this.#restoreReserve(false);
  }

  /**
   * The way out of a full disk (FACTS.md "Trap"). A write failed with SQLITE_FULL: checkpoint
   * with TRUNCATE so the WAL's content moves into the database file and the WAL's own space is
   * given back. When the WAL is larger than the free space, that checkpoint fails with
   * SQLITE_FULL too; then the disk reserve is released, which gives the checkpoint the room it
   * needs, and re-created at once from the space the truncated WAL gave back. Returns the
   * original message with what was done, for the retry log and health().
   */
  #escapeDiskFull(error: DriverErrorInfo): { checkpoint: "done" | "busy" | "failed"; message: string } {
    const notes: string[] = [];
    let checkpoint = this.#checkpointTruncate();
    if (typeof checkpoint === "object" && isDiskFull(checkpoint) && this.#reserve !== null) {
      const freed = this.#reserve.release();
      if (freed > 0) {
        this.#reserveMissing = true;
        notes.push(`checkpoint failed for lack of space: released the ${mib(freed)} disk reserve`);
        checkpoint = this.#checkpointTruncate();
      }
    }
    if (checkpoint === "done") notes.push("WAL checkpointed and truncated");
    else if (checkpoint === "busy")
      notes.push("WAL checkpoint blocked by a reader or the checkpointer thread, will retry");
    else notes.push(`WAL checkpoint failed too (${checkpoint.message}): free space on the volume`);
    if (checkpoint === "done" && this.#reserveMissing) this.#restoreReserve(true);
    if (this.#reserve !== null) {
      notes.push(
        this.#reserveMissing
          ? `disk reserve missing: it is re-created once ${mib(this.#reserve.bytes * 2)} are free`
          : "disk reserve held",
      );
    }
    const state = checkpoint === "done" || checkpoint === "busy" ? checkpoint : "failed";
    return { checkpoint: state, message: `${error.message} (${notes.join("; ")})` };
  }

  /** "busy" when another connection (a reader's snapshot, another checkpoint) kept it from finishing. */
  #walCheckpoint(mode: "PASSIVE" | "TRUNCATE"): "done" | "busy" {
    const row = this.#db.prepare(`PRAGMA wal_checkpoint(${mode})`).get() as { busy?: number } | undefined;
    return row?.busy ? "busy" : "done";
  }

  #checkpointTruncate(): "done" | "busy" | DriverErrorInfo {
    try {
      return this.#walCheckpoint("TRUNCATE");
    } catch (error) {
      return toDriverErrorInfo(error);
    }
  }

  /**
   * Re-creates the reserve when it is missing: released by an escape, never created for lack of
   * room, or deleted from outside (by someone freeing space in a hurry). Right after an escape the truncated WAL gave back at least the
   * reserve's size, so no headroom is asked; otherwise only once twice its size is free, so that
   * the reserve never takes the last room pending writes need. Throttled: a statfs per second.
   */
  #restoreReserve(afterEscape: boolean): void {
    if (this.#reserve === null) return;
    const now = Date.now();
    if (!afterEscape && now - this.#reserveTriedAt < RESERVE_RETRY_MS) return;
    this.#reserveTriedAt = now;
    this.#reserveMissing = !this.#reserve.ensure(afterEscape ? 0 : this.#reserve.bytes);
  }

  /** A pragma's single value (`pluck()` does not apply to pragmas in libsql 0.5.29). */
  #pragma(name: string): number {
    return this.#value(`PRAGMA ${name}`);
  }

  #value(sql: string): number {
    return Number((this.#db.prepare(sql).raw().get() as unknown[] | undefined)?.[0] ?? 0);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /**
   * Ids of a batch inserted by one statement: AUTOINCREMENT gives its rows consecutive ids in
   * array order (json_each walks the array in order, and this connection holds the write lock), so
   * they end at the statement's last rowid.
   */
  #insertBatch(batch: Uint8Array, count: number): number[] {
    // In an array: libsql 0.5.29 panics on a lone Buffer argument.
    const { changes, lastInsertRowid } = this.#bulkInsert.run([batch]);
    if (changes !== count) throw new Error(`batch insert wrote ${changes} rows of ${count}`);
    const first = Number(lastInsertRowid) - count + 1;
    return Array.from({ length: count }, (_, i) => first + i);
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

function sameRow(stored: unknown[], row: EncodedRow): boolean {
  return row.every((value, i) => (value === null ? stored[i] === null : String(value) === String(stored[i])));
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
