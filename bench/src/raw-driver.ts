import {
  BULK_INSERT_SQL,
  connectionPragmas,
  INSERT_SQL,
  LOG_LEVELS,
  type NewLogEntry,
  resolveBatchConfig,
} from "@batchlog/storage";
import Database from "libsql";

export { BULK_INSERT_SQL, INSERT_SQL };

/** The pragmas @batchlog/storage puts on every local connection (defaults otherwise): same durability. */
export function storagePragmas(synchronous: "full" | "normal"): string[] {
  return connectionPragmas(resolveBatchConfig({ synchronous }));
}

export interface RawInsertOptions {
  synchronous: "full" | "normal";
  chunkSize?: number;
  /** Called before each chunk (progress for long builds). */
  onChunk?: (inserted: number) => void;
}

/** The row the storage writes for an entry: [timestamp ms, level 1–6, source, message, fields JSON]. */
export function encodeRow(e: NewLogEntry, now: number): [number, number, string, string, string | null] {
  return [
    e.timestamp instanceof Date ? e.timestamp.getTime() : Number(e.timestamp ?? now),
    LOG_LEVELS.indexOf(e.level as (typeof LOG_LEVELS)[number]) + 1,
    e.source ?? "unknown",
    e.message,
    e.fields === undefined ? null : JSON.stringify(e.fields),
  ];
}

/**
 * The driver ceiling: `libsql` (better-sqlite3 API), one prepared INSERT, `db.transaction()` per
 * chunk, no queue, no ORM. Encoding (level → number, fields → JSON) is inside the timing: the
 * store does the same work per entry. Returns elapsed ms.
 */
export function rawInsert(path: string, entries: readonly NewLogEntry[], options: RawInsertOptions): number {
  const db = new Database(path);
  try {
    for (const pragma of storagePragmas(options.synchronous)) db.exec(pragma);
    const insert = db.prepare(INSERT_SQL);
    const now = Date.now();
    const insertChunk = db.transaction((chunk: readonly NewLogEntry[]) => {
      for (const e of chunk) insert.run(...encodeRow(e, now));
    });
    const chunkSize = options.chunkSize ?? 1000;
    const started = performance.now();
    for (let i = 0; i < entries.length; i += chunkSize) {
      options.onChunk?.(i);
      insertChunk(entries.slice(i, i + chunkSize));
    }
    return performance.now() - started;
  } finally {
    db.close();
  }
}
