import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One row per log entry. `level` is the 1-based severity (1 trace … 6 fatal) so that
 * `minLevel` is a range; `timestamp` is integer milliseconds since the epoch; `fields` is JSON text.
 * AUTOINCREMENT keeps ids strictly increasing even after retention deletes the newest rows.
 */
export const logEntries = sqliteTable(
  "log_entries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    timestamp: integer("timestamp").notNull(),
    level: integer("level").notNull(),
    source: text("source").notNull(),
    message: text("message").notNull(),
    fields: text("fields"),
  },
  (t) => [
    index("log_entries_timestamp_idx").on(t.timestamp),
    index("log_entries_level_timestamp_idx").on(t.level, t.timestamp),
    index("log_entries_source_timestamp_idx").on(t.source, t.timestamp),
    check("log_entries_level_check", sql`${t.level} BETWEEN 1 AND 6`),
    check("log_entries_source_check", sql`length(${t.source}) BETWEEN 1 AND 256`),
    check("log_entries_fields_check", sql`${t.fields} IS NULL OR json_valid(${t.fields})`),
  ],
);

export type LogEntryRow = typeof logEntries.$inferSelect;
