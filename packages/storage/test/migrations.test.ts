import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { filePathOf } from "../src/file-url.js";
import { openLogStorage, ValidationError } from "../src/index.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const temp = makeTempDir();
afterAll(() => temp.cleanup());

function sqlite(url: string) {
  return new Database(filePathOf(url));
}

function objects(url: string): string[] {
  const db = sqlite(url);
  try {
    return (
      db.prepare("SELECT type || ':' || name AS o FROM sqlite_master ORDER BY 1").all() as { o: string }[]
    )
      .map((r) => r.o)
      .filter((o) => !o.includes("sqlite_") && !o.includes("__drizzle"));
  } finally {
    db.close();
  }
}

describe("migrations", () => {
  it("create the schema, indexes and FTS triggers on an empty file, in WAL mode", async () => {
    const url = temp.url("empty.db");
    const s = await openLogStorage({ url });
    await s.close();
    expect(objects(url)).toEqual(
      expect.arrayContaining([
        "table:log_entries",
        "table:log_entries_fts",
        "index:log_entries_timestamp_idx",
        "index:log_entries_level_timestamp_idx",
        "index:log_entries_source_timestamp_idx",
        "trigger:log_entries_fts_insert",
        "trigger:log_entries_fts_delete",
        "trigger:log_entries_fts_update",
      ]),
    );
    const db = sqlite(url);
    expect(db.prepare("PRAGMA journal_mode").get()).toMatchObject({ journal_mode: "wal" });
    db.close();
  });

  it("apply only what is pending to an existing file and keep its data", async () => {
    const url = temp.url("existing.db");
    // a database at the first migration only, as an older batchlog left it
    const db = sqlite(url);
    const init = readFileSync(join(packageDir, "drizzle/0000_init.sql"), "utf8");
    for (const statement of init.split("--> statement-breakpoint")) db.exec(statement);
    db.exec(
      "INSERT INTO log_entries (timestamp, level, source, message) VALUES (1, 3, 'old', 'kept from before')",
    );
    db.exec(
      "CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)",
    );
    const journal = JSON.parse(readFileSync(join(packageDir, "drizzle/meta/_journal.json"), "utf8"));
    db.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)").run(
      "pre-existing",
      journal.entries[0].when,
    );
    db.close();

    const s = await openLogStorage({ url });
    const found = await s.search({ text: "kept" });
    expect(found.entries.map((e) => e.message)).toEqual(["kept from before"]);
    await s.close();
    const again = await openLogStorage({ url });
    await again.close();
    const check = sqlite(url);
    expect((check.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBe(
      2,
    );
    check.close();
  });

  it("agree with the schema: drizzle-kit generate finds nothing to add", () => {
    const out = join(temp.dir, "drizzle-check");
    cpSync(join(packageDir, "drizzle"), out, { recursive: true });
    const config = join(temp.dir, "drizzle-check.config.ts");
    writeFileSync(
      config,
      `export default { dialect: "turso", schema: ${JSON.stringify(join(packageDir, "src/schema.ts"))}, out: "./drizzle-check" };\n`,
    );
    const bin = join(packageDir, "node_modules/.bin/drizzle-kit");
    const output = execFileSync(bin, ["generate", "--config", config], { cwd: temp.dir, encoding: "utf8" });
    expect(output).toMatch(/No schema changes/);
  });
});

describe("fullText switch", () => {
  it("drops the FTS triggers when off, and rebuilds the index when switched back on", async () => {
    const url = temp.url("fts-switch.db");
    const off = await openLogStorage({ url, fullText: false });
    await off.storeMany([{ message: "written while the index was off" }]);
    await expect(off.search({ text: "written" })).rejects.toBeInstanceOf(ValidationError);
    // with the index off, a notText would exclude nothing the index never saw: refused as text is
    await expect(off.search({ notText: "written" })).rejects.toThrow(/full-text search is disabled/);
    await off.close();
    expect(objects(url)).not.toContain("trigger:log_entries_fts_insert");

    const on = await openLogStorage({ url, fullText: true });
    expect((await on.search({ text: "written" })).entries).toHaveLength(1);
    await on.store({ message: "and this one after" });
    expect((await on.search({ text: "after" })).entries).toHaveLength(1);
    await on.close();
  });
});
