CREATE TABLE `log_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`timestamp` integer NOT NULL,
	`level` integer NOT NULL,
	`source` text NOT NULL,
	`message` text NOT NULL,
	`fields` text,
	CONSTRAINT "log_entries_level_check" CHECK("log_entries"."level" BETWEEN 1 AND 6),
	CONSTRAINT "log_entries_source_check" CHECK(length("log_entries"."source") BETWEEN 1 AND 256),
	CONSTRAINT "log_entries_fields_check" CHECK("log_entries"."fields" IS NULL OR json_valid("log_entries"."fields"))
);
--> statement-breakpoint
CREATE INDEX `log_entries_timestamp_idx` ON `log_entries` (`timestamp`);--> statement-breakpoint
CREATE INDEX `log_entries_level_timestamp_idx` ON `log_entries` (`level`,`timestamp`);--> statement-breakpoint
CREATE INDEX `log_entries_source_timestamp_idx` ON `log_entries` (`source`,`timestamp`);