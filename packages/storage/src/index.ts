/**
 * @module @batchlog/storage
 * Batched, durable log storage on libSQL (WAL SQLite) through Drizzle.
 *
 * @example
 * const storage = await openLogStorage({ url: "file:./data/batchlog.db" });
 * const id = await storage.store({ level: "info", source: "api", message: "started" });
 * await storage.close();
 */
export { type BackupOptions, type BackupResult, backupDatabase } from "./backup.js";
export { BatchedLogStorage } from "./batched-log-storage.js";
export { classifyFailure, type FailureKind } from "./classify-error.js";
export { type BatchConfig, type BatchConfigInput, batchConfigSchema, resolveBatchConfig } from "./config.js";
export { DirectLogStorage } from "./direct-log-storage.js";
export {
  BatchlogError,
  ConfigError,
  type ConfigIssue,
  QueryTimeoutError,
  QueueFullError,
  StorageClosedError,
  StorageUnavailableError,
  ValidationError,
  WriteTimeoutError,
} from "./errors.js";
// For tools that explain the reader's plans (the bench's reads suite): a fields filter's expression.
export { fieldValueSql } from "./field-indexes.js";
export { LARGEST_ENTRY_FIXED_BYTES, largestEntryBytes } from "./largest-entry.js";
export { isLogLevel, LOG_LEVELS, type LogLevel, levelsAtLeast, parseLevel } from "./levels.js";
export { DEFAULT_CONTEXT, DEFAULT_LIMIT, MAX_LIMIT } from "./log-reader.js";
export { isDamagedFile, openLogStorage } from "./open-log-storage.js";
export { redactSecrets, redactUrl } from "./redact-url.js";
export { logEntries } from "./schema.js";
export type {
  BatchEvent,
  BatchListener,
  BucketCount,
  BucketQuery,
  CleanupPolicy,
  CommitListener,
  CommittedAfter,
  CommittedAfterQuery,
  ContextQuery,
  EntryContext,
  HealthStatus,
  LatencySummary,
  LogEntry,
  LogFields,
  LogStorage,
  NewLogEntry,
  QueuedEntries,
  SearchPage,
  SearchQuery,
  StorageHealth,
  StorageStats,
} from "./types.js";
// For tools that write the same file with the raw driver (the bench's ceiling): same SQL, same pragmas.
export { BULK_INSERT_SQL, connectionPragmas, INSERT_SQL } from "./writers/pragmas.js";
