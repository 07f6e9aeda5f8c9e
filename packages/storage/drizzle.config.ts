import { defineConfig } from "drizzle-kit";

// "turso" rather than "sqlite": on a column change the sqlite dialect rebuilds the table
// (__new_log_entries … rename), which silently drops the FTS sync triggers; turso emits ALTER TABLE.
export default defineConfig({
  dialect: "turso",
  schema: "./src/schema.ts",
  out: "./drizzle",
  dbCredentials: { url: "file:./data/drizzle-kit.db" },
});
