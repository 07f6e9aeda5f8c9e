import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryTimeoutError, StorageUnavailableError } from "../src/errors.js";
import { openLogStorage } from "../src/index.js";
import type { LogStorage, SearchQuery } from "../src/types.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
const ROWS = 100_000;
// Well above a reader process's start (~0.4 s from TypeScript sources, 0.16 s compiled) and well
// below the slow query.
const TIMEOUT_MS = 3000;
let url = "";

// 30 filters every row matches, then one none does, on keys with a `"` (no JSON path names them,
// so each is a json_each scan of the row): ~7 s on 100k rows here, against ~2 ms for a page of 100.
const slowFields: Record<string, string> = {};
for (let k = 0; k < 30; k++) slowFields[`c"${k}`] = "on";
slowFields['c"30'] = "off";
const slowQuery: SearchQuery = { fields: slowFields };

beforeAll(async () => {
  url = temp.url("slow.db");
  await (await openLogStorage({ url })).close(); // migrate
  const db = new Database(temp.path("slow.db"));
  const insert = db.prepare(
    "INSERT INTO log_entries (timestamp, level, source, message, fields) VALUES (?, 3, 'api', ?, ?)",
  );
  const constant: Record<string, string> = {};
  for (let k = 0; k < 31; k++) constant[`c"${k}`] = "on";
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      insert.run(1_700_000_000_000 + i, `request ${i} done`, JSON.stringify({ user: `u${i}`, ...constant }));
    }
  })();
  db.close();
}, 120_000);
afterAll(() => temp.cleanup());

async function timed<T>(work: Promise<T>): Promise<{ value: T | undefined; error: unknown; ms: number }> {
  const started = performance.now();
  try {
    return { value: await work, error: undefined, ms: performance.now() - started };
  } catch (error) {
    return { value: undefined, error, ms: performance.now() - started };
  }
}

/** Reader processes (children of this one) that have used more than 100 ms of CPU. */
function busyReaderPids(): number[] {
  let children: string;
  try {
    children = execFileSync("pgrep", ["-P", String(process.pid), "-f", "reader-process-entry"], {
      encoding: "utf8",
    });
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  return children
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      // /proc/<pid>/stat: utime and stime (fields 14 and 15) in clock ticks of 10 ms
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return Number(fields[11]) + Number(fields[12]) > 10;
    });
}

function walBytes(): number {
  try {
    return statSync(`${temp.path("slow.db")}-wal`).size;
  } catch {
    return 0;
  }
}

describe("queryTimeoutMs with reader processes (readerThread)", () => {
  let storage: LogStorage;
  beforeAll(async () => {
    storage = await openLogStorage({ url, queryTimeoutMs: TIMEOUT_MS });
    await storage.getRecent(1); // the first process is up
  });
  afterAll(() => storage.close());

  it("a read past the timeout rejects with QueryTimeoutError near the deadline, and the query is stopped", async () => {
    const { error, ms } = await timed(storage.search(slowQuery));
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect((error as QueryTimeoutError).code).toBe("BATCHLOG_QUERY_TIMEOUT");
    expect((error as QueryTimeoutError).stopped).toBe(true);
    expect((error as Error).message).toMatch(/within 3000 ms and was stopped/);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(TIMEOUT_MS + 3000); // ~7 s if it ran to the end
    // a process still running the query would hold its snapshot, and a checkpoint could not
    // pass it: commit something, then the truncating checkpoint must reset the WAL to nothing
    await storage.store({ message: "after the timeout" });
    // (SIGKILL takes a moment; the query alone would have run ~4 s more)
    const db = new Database(temp.path("slow.db"));
    const killedAt = performance.now();
    try {
      let busy = 1;
      while (busy !== 0 && performance.now() - killedAt < 1500) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const [result] = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").raw(true).all() as number[][];
        busy = result?.[0] ?? 1;
      }
      console.log(`checkpoint passed ${(performance.now() - killedAt).toFixed(0)} ms after the timeout`);
      expect(busy).toBe(0);
    } finally {
      db.close();
    }
    expect(walBytes()).toBe(0);
  });

  it("holds no other read: searches, stats and recent entries asked during a slow query answer before it times out", async () => {
    const slow = timed(storage.search(slowQuery));
    const fast: { ms: number; settledBeforeSlow: boolean }[] = [];
    let slowSettled = false;
    void slow.then(() => (slowSettled = true));
    for (let i = 0; i < 10; i++) {
      const { value, error, ms } = await timed<unknown>(
        i % 3 === 0
          ? storage.countByBucket({
              bucketMs: 60_000,
              from: new Date(1_700_000_000_000),
              to: new Date(1_700_000_100_000),
            })
          : i % 3 === 1
            ? storage.getRecent(100)
            : storage.search({ limit: 100 }),
      );
      expect(error).toBeUndefined();
      expect(value).toBeDefined();
      fast.push({ ms, settledBeforeSlow: !slowSettled });
    }
    expect(fast.every((f) => f.settledBeforeSlow)).toBe(true);
    expect((await slow).error).toBeInstanceOf(QueryTimeoutError);
    console.log(
      `fast reads during a slow query: max ${Math.max(...fast.map((f) => f.ms)).toFixed(1)} ms (timeout ${TIMEOUT_MS} ms)`,
    );
  });

  it("a reader process killed from outside (the OOM killer) fails its read as retryable, and the next read works", async () => {
    const slow = timed(storage.search(slowQuery));
    let readers: number[] = [];
    const deadline = performance.now() + TIMEOUT_MS / 2;
    // the slow read's process is the one busy on the CPU; each reader is a child of this process
    while (readers.length === 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      readers = busyReaderPids();
    }
    expect(readers).toHaveLength(1);
    process.kill(readers[0]!, "SIGKILL");
    const { error, ms } = await slow;
    expect(ms).toBeLessThan(TIMEOUT_MS);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as StorageUnavailableError).code).toBe("BATCHLOG_UNAVAILABLE");
    expect((error as Error).message).toMatch(/reader process exited \(SIGKILL\); retry the read/);
    expect((await storage.getRecent(1)).length).toBe(1);
  });

  it("reads queued behind timed-out queries run on new processes or fail clearly, never hang; the writer carries on", async () => {
    const before = await storage.search({ limit: 1 });
    // three slow reads: two run (one per process), one waits in the queue
    const slow = [1, 2, 3].map(() => timed(storage.search(slowQuery)));
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS / 3));
    const queued = [1, 2, 3].map(() => timed(storage.getRecent(5)));
    const ids = await storage.storeMany(
      Array.from({ length: 500 }, (_, i) => ({ message: `written during timeouts ${i}` })),
    );
    const settled = await Promise.all([...slow, ...queued]);
    for (const { error } of settled.slice(0, 3)) expect(error).toBeInstanceOf(QueryTimeoutError);
    for (const { value, error } of settled.slice(3)) {
      // queued behind two slow queries until they were killed: answered, or refused clearly
      if (error === undefined) expect(value).toHaveLength(5);
      else expect(error).toBeInstanceOf(QueryTimeoutError);
    }
    // a read asked after the kills runs on a new process, and sees every commit
    const recent = await storage.getRecent(500);
    expect(recent.map((e) => e.id)).toEqual([...ids].reverse());
    expect(recent[0]!.message).toBe("written during timeouts 499");
    expect((await storage.search({ limit: 1 })).entries[0]!.id).toBeGreaterThan(before.entries[0]!.id);
    const db = new Database(temp.path("slow.db"));
    try {
      expect(db.prepare("PRAGMA quick_check").raw(true).all()).toEqual([["ok"]]);
    } finally {
      db.close();
    }
  });
});
