// countByBucket over a time range alone (the UI's histogram) reads the (level, timestamp) index
// only: from the timestamp index it read each row behind it for its level, twice the time on 1M
// entries. Checked on the plan of the statement the reader sends, and against a plain count.
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filePathOf } from "../src/file-url.js";
import { openLogStorage } from "../src/index.js";
import { LogReader } from "../src/log-reader.js";
import type { ReadDb } from "../src/reader/native-read-db.js";
import * as schema from "../src/schema.js";
import type { BucketQuery } from "../src/types.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());
const url = temp.url("buckets.db");
const T0 = 1_700_000_000_000;
const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

beforeAll(async () => {
  const storage = await openLogStorage({ url });
  await storage.storeMany(
    Array.from({ length: 3000 }, (_, i) => ({
      timestamp: T0 + i * 1000,
      level: LEVELS[(i * 7) % 6],
      source: i % 3 === 0 ? "api" : "worker",
      message: `request ${i}`,
    })),
  );
  await storage.close();
});

/** The buckets, and the plan of every statement the reader sent for them. */
async function countWithPlan(query: BucketQuery) {
  const sent: { sql: string; params: unknown[] }[] = [];
  const client = createClient({ url });
  const db = drizzle(client, { schema, logger: { logQuery: (sql, params) => sent.push({ sql, params }) } });
  let buckets: Awaited<ReturnType<LogReader["countByBucket"]>>;
  try {
    buckets = await new LogReader(db as unknown as ReadDb, () => true, 10).countByBucket(query);
  } finally {
    client.close();
  }
  const file = new Database(filePathOf(url), { readonly: true });
  try {
    const plans = sent.map(({ sql, params }) =>
      (file.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail),
    );
    const naive = file
      .prepare(
        `SELECT count(*) FROM log_entries WHERE timestamp >= ? AND timestamp < ?${query.sources ? " AND source = ?" : ""}`,
      )
      .raw()
      .get(query.from!.getTime(), query.to!.getTime(), ...(query.sources ?? [])) as [number];
    return { buckets, plans, naive: naive[0] };
  } finally {
    file.close();
  }
}

describe("countByBucket's plan", () => {
  const range = { from: new Date(T0 + 600_000), to: new Date(T0 + 2_400_000), bucketMs: 60_000 };

  it("reads only the (level, timestamp) index for a time range, with the same counts", async () => {
    const { buckets, plans, naive } = await countWithPlan(range);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toContainEqual(
      expect.stringMatching(/SEARCH log_entries USING COVERING INDEX log_entries_level_timestamp_idx/),
    );
    expect(naive).toBe(1800);
    expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(naive);
    expect(new Set(buckets.map((b) => b.level))).toEqual(new Set(LEVELS));
    expect(buckets.map((b) => b.bucketStart)).toEqual(
      [...buckets.map((b) => b.bucketStart)].sort((a, b) => a - b),
    );
  });

  it("leaves other filters to their own index (source)", async () => {
    const { buckets, plans, naive } = await countWithPlan({ ...range, sources: ["api"] });
    expect(plans[0]?.join(" ")).not.toMatch(/level_timestamp/);
    expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(naive);
  });
});
