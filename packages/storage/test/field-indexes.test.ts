import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { fieldValueSql } from "../src/field-indexes.js";
import { filePathOf } from "../src/file-url.js";
import { openLogStorage } from "../src/index.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

function fieldIndexes(url: string): string[] {
  const db = new Database(filePathOf(url), { readonly: true });
  try {
    return db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'log_entries_field_%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

describe("indexedFields", () => {
  // a quote and a space: the key is inlined into the SQL text as a literal, escaped
  const odd = "it's odd";

  it("indexes the configured keys, answers field filters through them, and drops them when removed", async () => {
    const url = temp.url("fields.db");
    let storage = await openLogStorage({ url, indexedFields: ["user", odd] });
    await storage.storeMany(
      Array.from({ length: 300 }, (_, i) => ({
        timestamp: 1_700_000_000_000 + i,
        message: `m${i}`,
        fields: { user: `u${i % 7}`, [odd]: i % 2 === 0 ? "even" : "odd", n: i },
      })),
    );
    const page = await storage.search({ fields: { user: "u3" }, limit: 1000 });
    expect(page.entries.map((e) => e.message)).toEqual(
      Array.from({ length: 300 }, (_, i) => i)
        .filter((i) => i % 7 === 3)
        .reverse()
        .map((i) => `m${i}`),
    );
    expect(
      (await storage.search({ fields: { [odd]: "even", user: "u0" }, limit: 1000 })).entries,
    ).toHaveLength(Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 2 === 0 && i % 7 === 0).length);
    // a non-indexed key still works (a scan)
    expect((await storage.search({ fields: { n: "42" } })).entries.map((e) => e.message)).toEqual(["m42"]);
    await storage.close();
    expect(fieldIndexes(url)).toHaveLength(2);

    // the filter's expression is the indexed one: SQLite plans an index search, newest first
    const db = new Database(filePathOf(url), { readonly: true });
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM log_entries WHERE ${fieldValueSql("user")} = ? ORDER BY timestamp DESC, id DESC LIMIT 101`,
      )
      .all("u3") as { detail: string }[];
    db.close();
    expect(plan.map((p) => p.detail).join(" | ")).toMatch(/USING INDEX log_entries_field_user_/);

    storage = await openLogStorage({ url, indexedFields: ["user"] });
    await storage.close();
    expect(fieldIndexes(url)).toHaveLength(1);
    expect(fieldIndexes(url)[0]).toMatch(/^log_entries_field_user_/);
  });

  it("indexes a key with a backslash, and rebuilds an index whose expression is not the reader's", async () => {
    const url = temp.url("rebuild.db");
    const key = "C:\\dir";
    let storage = await openLogStorage({ url, indexedFields: [key, "user"] });
    await storage.storeMany([
      { message: "a", fields: { [key]: "x", user: "u" } },
      { message: "b", fields: { [key]: "y" } },
    ]);
    expect((await storage.search({ fields: { [key]: "x" } })).entries.map((e) => e.message)).toEqual(["a"]);
    await storage.close();
    const indexes = () => {
      const db = new Database(filePathOf(url), { readonly: true });
      try {
        return db
          .prepare(
            "SELECT rowid AS entry, name, sql FROM sqlite_master WHERE name LIKE 'log_entries_field_%' ORDER BY name",
          )
          .all() as { name: string; entry: number; sql: string }[];
      } finally {
        db.close();
      }
    };
    const before = indexes();
    expect(before.map((i) => i.sql)).toEqual([
      expect.stringContaining(fieldValueSql(key)),
      expect.stringContaining(fieldValueSql("user")),
    ]);
    // an index as an older version spelled it: the raw key in the path, which matches no row
    const stale = before[0] as { name: string };
    const db = new Database(filePathOf(url));
    db.exec(`DROP INDEX "${stale.name}"`);
    db.exec("CREATE TABLE later_schema_entry (x)"); // a re-created index would get a schema row after it
    db.exec(
      `CREATE INDEX "${stale.name}" ON log_entries (CAST(json_extract(fields, '$."${key}"') AS TEXT), timestamp)`,
    );
    db.close();
    const userEntry = before[1]?.entry;

    storage = await openLogStorage({ url, indexedFields: [key, "user"] });
    expect((await storage.search({ fields: { [key]: "y" } })).entries.map((e) => e.message)).toEqual(["b"]);
    await storage.close();
    const after = indexes();
    expect(after[0]?.sql).toContain(fieldValueSql(key));
    // the index that already had the reader's expression was left as it was
    expect(after[1]?.entry).toBe(userEntry); // its schema row, not re-created
  });

  it("rejects an invalid indexedFields configuration", async () => {
    await expect(openLogStorage({ url: temp.url("bad.db"), indexedFields: [""] })).rejects.toMatchObject({
      code: "BATCHLOG_CONFIG",
    });
  });
});
