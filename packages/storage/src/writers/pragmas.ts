import type { BatchConfig } from "../config.js";

/** Connection settings every local connection gets (writer, readers, baseline): same durability everywhere. */
export function connectionPragmas(
  config: Pick<BatchConfig, "synchronous" | "walAutocheckpoint" | "journalSizeLimit" | "busyTimeoutMs">,
): string[] {
  return [
    "PRAGMA journal_mode = WAL",
    `PRAGMA synchronous = ${config.synchronous.toUpperCase()}`,
    `PRAGMA busy_timeout = ${config.busyTimeoutMs}`,
    `PRAGMA wal_autocheckpoint = ${config.walAutocheckpoint}`,
    `PRAGMA journal_size_limit = ${config.journalSizeLimit}`,
    "PRAGMA foreign_keys = ON",
  ];
}

export const INSERT_SQL =
  "INSERT INTO log_entries (timestamp, level, source, message, fields) VALUES (?, ?, ?, ?, ?)";
