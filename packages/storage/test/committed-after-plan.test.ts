// committedAfter's full-text subqueries must be bounded by rowid: FTS5 otherwise reads every match
// of the term in the table, whatever the outer query's bounds on the id (a live tail resuming a
// moment later paid ~200 ms at 3M rows for a common term). Checked on the plans of the statements
// the reader actually sends.
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filePathOf } from "../src/file-url.js";
import { openLogStorage } from "../src/index.js";
import { LogReader } from "../src/log-reader.js";
import type { ReadDb } from "../src/reader/native-read-db.js";
import * as schema from "../src/schema.js";
import type { CommittedAfterQuery } from "../src/types.js";
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

// Without full text, SQLite drives committedAfter from a level or source index: it reads every
// match since the id and sorts them, so resuming from an old id cost the id's age (3M rows, 2.5M
// since the id: 310 ms for errors, 2.7 s for info). A filter that is not rare is now walked along
// the primary key, newest first, stopping at the page; a rare one still comes from its index.
describe("committedAfter with filters but no text", () => {
  const ROWS = 5000;
  const path = temp.path("filters.db");
  // every 4th row an error, the rest info; every 500th from "audit", the rest from "api"
  const isError = (id: number) => id % 4 === 0;
  const isAudit = (id: number) => id % 500 === 8;

  beforeAll(async () => {
    await (await openLogStorage({ url: temp.url("filters.db"), fullText: false })).close();
    const file = new Database(path);
    const insert = file.prepare(
      "INSERT INTO log_entries (id, timestamp, level, source, message) VALUES (?, ?, ?, ?, 'm')",
    );
    file.transaction(() => {
      for (let id = 1; id <= ROWS; id++)
        insert.run(id, 1_700_000_000_000 + id, isError(id) ? 5 : 3, isAudit(id) ? "audit" : "api");
    })();
    file.close();
  });

  /** The entries and skipped count, and the query plan of every statement the reader sent. */
  async function resume(query: CommittedAfterQuery) {
    const sent: { sql: string; params: unknown[] }[] = [];
    const client = createClient({ url: temp.url("filters.db") });
    const db = drizzle(client, {
      schema,
      logger: { logQuery: (sql, params) => sent.push({ sql, params }) },
    }) as unknown as ReadDb;
    let result: Awaited<ReturnType<LogReader["committedAfter"]>>;
    try {
      result = await new LogReader(db, () => false, 100_000).committedAfter(query);
    } finally {
      client.close();
    }
    const file = new Database(path, { readonly: true });
    try {
      const plans = sent.map(({ sql, params }) =>
        (file.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
          .map((row) => row.detail)
          .join("; "),
      );
      return { ids: result.entries.map((e) => e.id), skipped: result.skipped, plans };
    } finally {
      file.close();
    }
  }

  const idsAfter = (afterId: number, matches: (id: number) => boolean) =>
    Array.from({ length: ROWS - afterId }, (_, i) => afterId + 1 + i).filter(matches);

  it.each([
    ["an old id", 10],
    ["a recent id", ROWS - 200],
  ])("walks the primary key for a common level from %s: no level index, no sort", async (_, afterId) => {
    const { ids, skipped, plans } = await resume({ afterId, minLevel: "error", limit: 20 });
    const errors = idsAfter(afterId, isError);
    expect(ids).toEqual(errors.slice(-20));
    expect(skipped).toBe(errors.length - 20);
    expect(plans.join("\n")).not.toMatch(/level_timestamp_idx|TEMP B-TREE/);
    expect(
      plans.filter((plan) => plan.includes("USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)")).length,
    ).toBe(
      plans.length - 1, // all but max(id)
    );
  });

  it("takes a rare source from its index, below the newest rows it walked first", async () => {
    const { ids, skipped, plans } = await resume({ afterId: 10, sources: ["audit"], limit: 5 });
    const audit = idsAfter(10, isAudit);
    expect(ids).toEqual(audit.slice(-5));
    expect(skipped).toBe(audit.length - 5);
    expect(plans.join("\n")).toMatch(
      /rowid>\? AND rowid<\?(.|\n)*USING INDEX log_entries_source_timestamp_idx/,
    );
  });
});
