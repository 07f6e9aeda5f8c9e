import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { BatchedLogStorage } from "../src/batched-log-storage.js";
import { resolveBatchConfig } from "../src/config.js";
import { openClient, prepareDatabase } from "../src/database.js";
import { filePathOf } from "../src/file-url.js";
import { openLogStorage } from "../src/index.js";
import { LogReader } from "../src/log-reader.js";
import { DeadlineReads } from "../src/reader/deadline-reads.js";
import { connectionPragmas } from "../src/writers/pragmas.js";
import { WorkerBatchWriter } from "../src/writers/worker-batch-writer.js";
import { countRowsInFile } from "./contract.js";
import { rowsToWrite } from "./helpers/rows-to-write.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

/** A migrated file and a writer thread on it that exits right after its next COMMIT once `marker` exists. */
async function writerWithExitMarker(name: string) {
  const url = temp.url(`${name}.db`);
  const marker = temp.path(`${name}-marker`);
  await (await openLogStorage({ url })).close();
  const writer = await WorkerBatchWriter.start(
    { path: filePathOf(url), pragmas: ["PRAGMA journal_mode = WAL"], exitAfterCommitMarker: marker },
    { heapLimitMb: 256 },
  );
  return { url, marker, writer };
}

describe("writer thread", () => {
  it("starts a new thread when the old one dies, and the batch it held is retried", async () => {
    const url = temp.url("restart.db");
    // migrate the file first, as openLogStorage does
    await (await openLogStorage({ url })).close();
    const writer = await WorkerBatchWriter.start(
      {
        path: filePathOf(url),
        pragmas: ["PRAGMA journal_mode = WAL"],
      },
      { heapLimitMb: 256 },
    );
    const first = await writer.write(rowsToWrite([[1, 3, "a", "before the crash", null]]));
    expect(first).toMatchObject({ ok: true, ids: [1] });

    // a big batch is in flight when the thread dies
    const big = Array.from({ length: 20_000 }, (_, i): [number, number, string, string, null] => [
      2,
      3,
      "a",
      `m${i}`,
      null,
    ]);
    const bigRows = rowsToWrite(big);
    const inFlight = writer.write(bigRows);
    await writer.kill();
    // the request it held fails like a lost connection (transient: the queue retries it), and
    // nobody can say whether it committed…
    await expect(inFlight).resolves.toMatchObject({
      ok: false,
      mayHaveCommitted: true,
      error: { code: "CLIENT_CLOSED" },
    });
    // …so the queue sends the same rows again, on a new thread: committed once either way
    const retried = await writer.write(bigRows);
    expect(retried).toMatchObject({ ok: true });
    expect(writer.restarts).toBe(1);
    const after = await writer.write(rowsToWrite([[3, 3, "a", "after the restart", null]]));
    expect(after.ok).toBe(true);
    await writer.close();
    expect(countRowsInFile(url)).toBe(20_002);
  });

  it("a batch committed by a thread that died before answering is not written twice by its retry", async () => {
    const url = temp.url("lost-answer.db");
    const marker = temp.path("exit-after-commit");
    await (await openLogStorage({ url })).close();
    const start = () =>
      WorkerBatchWriter.start(
        {
          path: filePathOf(url),
          pragmas: ["PRAGMA journal_mode = WAL"],
          exitAfterCommitMarker: marker,
        },
        { heapLimitMb: 256 },
      );
    const writer = await start();
    expect(await writer.write(rowsToWrite([[1, 3, "a", "first", null]]))).toMatchObject({
      ok: true,
      ids: [1],
    });
    // the next write commits, then its thread exits before answering (the fault the marker injects)
    await writeFile(marker, "");
    const rows = rowsToWrite([
      [2, 3, "a", "lost answer 1", null],
      [2, 3, "a", "lost answer 2", null],
      [2, 3, "a", "lost answer 3", null],
    ]);
    expect(await writer.write(rows)).toMatchObject({ ok: false, mayHaveCommitted: true });
    expect(countRowsInFile(url)).toBe(4);
    // the queue's retry (the same rows, less one that timed out meanwhile): the new thread finds
    // the whole batch committed and answers the ids of those asked
    expect(await writer.write(rows.slice(1))).toEqual({ ok: true, ids: [3, 4] });
    expect(countRowsInFile(url)).toBe(4);
    expect(writer.restarts).toBe(1);
    await writer.close();

    // control: the same fault, retried as if it were a rollback (other row objects, so no
    // recovery), writes the committed rows a second time
    const control = await start();
    const copy = rowsToWrite([[5, 3, "a", "control", null]]);
    await writeFile(marker, "");
    expect(await control.write(copy)).toMatchObject({ ok: false, mayHaveCommitted: true });
    expect(await control.write(rowsToWrite([[5, 3, "a", "control", null]]))).toMatchObject({ ok: true });
    await control.close();
    expect(countRowsInFile(url)).toBe(6);
  });
});

describe("a lost batch that had gone row by row", () => {
  it("is answered with the outcomes it committed: ids for the good rows, the error for the bad one", async () => {
    const { url, marker, writer } = await writerWithExitMarker("lost-row-by-row");
    // fields nested 1,500 deep: valid JSON to JSON.stringify, refused by the fields CHECK (json_valid)
    let deep = '{"leaf":true}';
    for (let i = 0; i < 1500; i++) deep = `{"a":${deep}}`;
    const rows = rowsToWrite([
      [1, 3, "a", "good 1", null],
      [1, 3, "a", "bad", deep],
      [1, 3, "a", "good 2", null],
    ]);
    await writeFile(marker, "");
    // the batch fails for its content, is written row by row (2 rows commit), and the thread
    // exits before answering
    expect(await writer.write(rows)).toMatchObject({ ok: false, mayHaveCommitted: true });
    expect(countRowsInFile(url)).toBe(2);
    const retried = await writer.write(rows);
    expect(retried).toMatchObject({ ok: true, outcomes: [1, { message: expect.any(String) }, 2] });
    expect(countRowsInFile(url)).toBe(2);
    await writer.close();
  });
});

describe("a batch sent ahead, whose thread dies after its COMMIT", () => {
  it("is retried, answered with the ids it committed, and written once", async () => {
    const url = temp.url("sent-lost.db");
    const marker = temp.path("sent-lost-marker");
    const config = resolveBatchConfig({ url, maxBatchSize: 100, maxBatchDelayMs: 1000, diskReserveBytes: 0 });
    const opened = openClient(config);
    await prepareDatabase(opened, config);
    const reader = new DeadlineReads(
      new LogReader(opened.db, () => config.fullText, config.skippedCountWindow),
      config.queryTimeoutMs,
    );
    const writer = await WorkerBatchWriter.start(
      { path: filePathOf(url), pragmas: connectionPragmas(config), exitAfterCommitMarker: marker },
      { heapLimitMb: 256 },
    );
    const storage = new BatchedLogStorage({ config, opened, reader, writer, reserve: null });
    let ids: number[] = [];
    try {
      // the second write to commit dies before answering: 300 entries make batch 2 of 100 the
      // one handed to the writer thread while batch 1's callers are settled (half a batch or more
      // waits at COMMIT)
      await writeFile(marker, "2");
      ids = await Promise.all(
        Array.from({ length: 300 }, (_, i) => storage.store({ message: `m${i}`, source: "sent" })),
      );
      expect(new Set(ids).size).toBe(300);
      expect(existsSync(marker)).toBe(false); // the fault fired
      expect(writer.restarts).toBe(1);
      const stats = storage.stats();
      expect(stats.retries).toBe(1);
      expect(stats.batches).toBe(3);
    } finally {
      await storage.close();
    }
    expect(countRowsInFile(url)).toBe(300);
    // each id holds the entry its store() call sent
    const db = new Database(filePathOf(url));
    try {
      const rows = db.prepare("SELECT id, message FROM log_entries").all() as {
        id: number;
        message: string;
      }[];
      const messageOf = new Map(rows.map((r) => [r.id, r.message]));
      expect(ids.map((id) => messageOf.get(id))).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
    } finally {
      db.close();
    }
  });
});

describe("a lost batch while another process writes the same file", () => {
  const otherRows = (db: Database.Database, n: number) => {
    const insert = db.prepare(
      "INSERT INTO log_entries (timestamp, level, source, message, fields) VALUES (9, 3, 'other', ?, NULL)",
    );
    db.transaction(() => {
      for (let i = 0; i < n; i++) insert.run(`other ${i}`);
    })();
  };
  const messagesInFile = (url: string) => {
    const db = new Database(filePathOf(url));
    try {
      return (
        db.prepare("SELECT id, message FROM log_entries ORDER BY id").raw().all() as [number, string][]
      ).map(([id, message]) => `${id}:${message}`);
    } finally {
      db.close();
    }
  };

  it("that committed is answered with its ids, not written again, when the other's rows follow it", async () => {
    const { url, marker, writer } = await writerWithExitMarker("lost-other-after");
    expect(await writer.write(rowsToWrite([[1, 3, "a", "first", null]]))).toMatchObject({
      ok: true,
      ids: [1],
    });
    await writeFile(marker, "");
    const rows = rowsToWrite([
      [2, 3, "a", "lost 1", '{"k":1}'],
      [2, 3, "a", "lost 2", null],
    ]);
    expect(await writer.write(rows)).toMatchObject({ ok: false, mayHaveCommitted: true });
    // before the retry, another process appends rows of its own
    const other = new Database(filePathOf(url));
    otherRows(other, 3);
    other.close();
    expect(await writer.write(rows)).toEqual({ ok: true, ids: [2, 3] });
    await writer.close();
    expect(messagesInFile(url)).toEqual([
      "1:first",
      "2:lost 1",
      "3:lost 2",
      "4:other 0",
      "5:other 1",
      "6:other 2",
    ]);
  });

  it("that rolled back is written, not taken for the other's rows when their number matches", async () => {
    const url = temp.url("lost-other-rollback.db");
    await (await openLogStorage({ url })).close();
    const writer = await WorkerBatchWriter.start(
      { path: filePathOf(url), pragmas: ["PRAGMA journal_mode = WAL", "PRAGMA busy_timeout = 30000"] },
      { heapLimitMb: 256 },
    );
    expect(await writer.write(rowsToWrite([[1, 3, "a", "first", null]]))).toMatchObject({
      ok: true,
      ids: [1],
    });
    // the other process holds the write lock, so the batch waits for it inside the thread…
    const other = new Database(filePathOf(url));
    other.exec("BEGIN IMMEDIATE");
    const rows = rowsToWrite([
      [2, 3, "a", "rolled back 1", null],
      [2, 3, "a", "rolled back 2", null],
    ]);
    const inFlight = writer.write(rows);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // …when the thread dies; then the other process writes exactly as many rows and commits
    const killed = writer.kill();
    const insert = other.prepare(
      "INSERT INTO log_entries (timestamp, level, source, message, fields) VALUES (9, 3, 'other', ?, NULL)",
    );
    insert.run("other 0");
    insert.run("other 1");
    other.exec("COMMIT");
    other.close();
    await killed;
    expect(await inFlight).toMatchObject({ ok: false, mayHaveCommitted: true });
    expect(messagesInFile(url)).toEqual(["1:first", "2:other 0", "3:other 1"]); // the batch did not commit
    expect(await writer.write(rows)).toEqual({ ok: true, ids: [4, 5] });
    await writer.close();
    expect(messagesInFile(url)).toEqual([
      "1:first",
      "2:other 0",
      "3:other 1",
      "4:rolled back 1",
      "5:rolled back 2",
    ]);
  });
});
