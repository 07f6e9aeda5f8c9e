// committedAfter's full-text subqueries must be bounded by rowid: FTS5 otherwise reads every match
// of the term in the table, whatever the outer query's bounds on the id (a live tail resuming a
// moment later paid ~200 ms at 3M rows for a common term). Checked on the plans of the statements
// the reader actually sends.
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import Database from "libsql";
import { afterAll, expect, it } from "vitest";
import { filePathOf } from "../src/database.js";
import { openLogStorage } from "../src/index.js";
import { LogReader } from "../src/log-reader.js";
import type { ReadDb } from "../src/reader/native-read-db.js";
import * as schema from "../src/schema.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

it("bounds every full-text subquery of committedAfter by rowid, for the entries and for the count", async () => {
  const url = temp.url("plan.db");
  const storage = await openLogStorage({ url });
  await storage.storeMany(Array.from({ length: 50 }, (_, i) => ({ message: `request ${i} timeout` })));
  await storage.close();

  const sent: { sql: string; params: unknown[] }[] = [];
  const client = createClient({ url });
  const db = drizzle(client, {
    schema,
    logger: { logQuery: (sql, params) => sent.push({ sql, params }) },
  }) as unknown as ReadDb;
  const reader = new LogReader(db, () => true, 10);
  try {
    const resumed = await reader.committedAfter({ afterId: 5, text: "timeout", limit: 20 });
    expect(resumed).toMatchObject({ skipped: 10, skippedIsLowerBound: true });
  } finally {
    client.close();
  }

  const file = new Database(filePathOf(url), { readonly: true });
  try {
    const ftsScans = sent.map(({ sql, params }) =>
      (file.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((row) => row.detail)
        .filter((detail) => detail.includes("log_entries_fts")),
    );
    expect(ftsScans).toHaveLength(2); // the entries, then the count
    // FTS5's plan names a MATCH "M1" and a rowid bound ">" / "<" after it
    for (const scans of ftsScans) expect(scans).toEqual([expect.stringMatching(/INDEX \d+:M\d+[<>=]/)]);
  } finally {
    file.close();
  }
});
