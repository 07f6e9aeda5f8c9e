-- Full-text index over log_entries.message (external content: the text is stored once, in log_entries).
-- Kept in sync by triggers; the storage drops/re-creates the triggers when `fullText` is switched.
CREATE VIRTUAL TABLE `log_entries_fts` USING fts5(message, content='log_entries', content_rowid='id', tokenize='unicode61');
--> statement-breakpoint
CREATE TRIGGER `log_entries_fts_insert` AFTER INSERT ON `log_entries` BEGIN
  INSERT INTO log_entries_fts(rowid, message) VALUES (new.id, new.message);
END;
--> statement-breakpoint
CREATE TRIGGER `log_entries_fts_delete` AFTER DELETE ON `log_entries` BEGIN
  INSERT INTO log_entries_fts(log_entries_fts, rowid, message) VALUES ('delete', old.id, old.message);
END;
--> statement-breakpoint
CREATE TRIGGER `log_entries_fts_update` AFTER UPDATE OF message ON `log_entries` BEGIN
  INSERT INTO log_entries_fts(log_entries_fts, rowid, message) VALUES ('delete', old.id, old.message);
  INSERT INTO log_entries_fts(rowid, message) VALUES (new.id, new.message);
END;
--> statement-breakpoint
-- index rows written before this migration
INSERT INTO `log_entries_fts`(`log_entries_fts`) VALUES ('rebuild');
