import Database from "libsql";
import { exited, spawnTs, waitForLine } from "./child-process.js";

export interface CrashCycleOptions {
  dbPath: string;
  /** Unique per cycle: prefixes every message the child writes. */
  runId: string;
  synchronous: "full" | "normal";
  /** How long after its first acknowledged entry the child is killed (so no cycle is vacuous). */
  killAfterMs: number;
  producers?: number;
  /** Extra storage config for the child (JSON-serializable). */
  config?: Record<string, unknown>;
}

export interface CrashCycleResult {
  runId: string;
  synchronous: "full" | "normal";
  killAfterMs: number;
  /** Entries whose store() resolved and that the child printed before it died. */
  acknowledged: number;
  /** Acknowledged ids not in the database, or holding another message. */
  missing: string[];
  /** Ids the child printed twice (two entries acknowledged with the same id). */
  duplicateIds: number[];
  /** Messages stored more than once in the whole database (an entry written twice). */
  duplicateMessages: string[];
  /** Rows of this cycle on disk (≥ acknowledged: the last batch can commit unacknowledged). */
  stored: number;
  integrity: string;
}

/**
 * One crash cycle: a child ingests with 64 producers and prints each acknowledged id; it is
 * SIGKILLed `killAfterMs` after its first acknowledgement; then the database is opened directly (SQLite
 * recovers the WAL) and checked.
 */
export async function crashCycle(options: CrashCycleOptions): Promise<CrashCycleResult> {
  const config = { synchronous: options.synchronous, ...options.config };
  const child = spawnTs(new URL("./crash-child.ts", import.meta.url), [
    options.dbPath,
    options.runId,
    JSON.stringify(config),
    String(options.producers ?? 64),
  ]);
  let stdout = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  await waitForLine(child, /^ready$/, 30_000);
  await waitForLine(child, /^\d+ /, 30_000);
  await new Promise((resolve) => setTimeout(resolve, options.killAfterMs));
  child.kill("SIGKILL");
  await exited(child);

  // Only complete lines count: a line cut by the kill was never fully acknowledged.
  const lines = stdout.split("\n").slice(0, -1);
  const acknowledged = new Map<number, string>();
  const duplicateIds: number[] = [];
  for (const line of lines) {
    if (line === "ready") continue;
    const space = line.indexOf(" ");
    const id = Number(line.slice(0, space));
    if (acknowledged.has(id)) duplicateIds.push(id);
    acknowledged.set(id, line.slice(space + 1));
  }
  return { ...verifyAfterCrash(options, acknowledged), duplicateIds, acknowledged: acknowledged.size };
}

function verifyAfterCrash(
  options: CrashCycleOptions,
  acknowledged: Map<number, string>,
): Omit<CrashCycleResult, "duplicateIds" | "acknowledged"> {
  const db = new Database(options.dbPath);
  try {
    const integrity = (db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join("; ");
    const rows = db
      .prepare("SELECT id, message FROM log_entries WHERE source = 'crash-test' AND message LIKE ? || '-%'")
      .all(options.runId) as { id: number; message: string }[];
    const stored = new Map(rows.map((r) => [Number(r.id), r.message]));
    const missing: string[] = [];
    for (const [id, message] of acknowledged) {
      if (stored.get(id) !== message)
        missing.push(`${id} ${message} (found: ${stored.get(id) ?? "nothing"})`);
    }
    const duplicateMessages = (
      db
        .prepare(
          "SELECT message FROM log_entries WHERE source = 'crash-test' GROUP BY message HAVING count(*) > 1",
        )
        .all() as { message: string }[]
    ).map((r) => r.message);
    return {
      runId: options.runId,
      synchronous: options.synchronous,
      killAfterMs: options.killAfterMs,
      missing,
      duplicateMessages,
      stored: rows.length,
      integrity,
    };
  } finally {
    db.close();
  }
}
