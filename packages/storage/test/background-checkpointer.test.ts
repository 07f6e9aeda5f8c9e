import { existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "libsql";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { resolveBatchConfig } from "../src/config.js";
import { filePathOf } from "../src/file-url.js";
import { openLogStorage, type StorageStats } from "../src/index.js";
import { ThreadClient } from "../src/threads/thread-client.js";
import { BackgroundCheckpointer } from "../src/writers/background-checkpointer.js";
import { connectionPragmas } from "../src/writers/pragmas.js";
import { countRowsInFile } from "./contract.js";
import { captureLogs } from "./helpers/log-capture.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());
afterEach(() => {
  vi.restoreAllMocks();
});

const entries = (count: number, tag: string, bytes = 100) =>
  Array.from({ length: count }, (_, i) => ({ message: `${tag} ${i} ${"x".repeat(bytes)}`, source: "ckpt" }));

/**
 * Bytes the database file (not its WAL) gained after 5,000 entries were committed, within
 * `waitMs`, and the storage's count of background checkpoints then.
 */
async function mainFileGrowth(
  checkpointThread: boolean,
  waitMs: number,
): Promise<{ grown: number; checkpoints: StorageStats["backgroundCheckpoints"] }> {
  const url = temp.url(`growth-${checkpointThread}.db`);
  const path = filePathOf(url);
  // The writer never checkpoints (walAutocheckpoint 0, no periodic checkpoint): only the
  // checkpointer thread can move committed pages into the database file before close().
  const storage = await openLogStorage({
    url,
    checkpointThread,
    walAutocheckpoint: 0,
    checkpointIntervalMs: 0,
    diskReserveBytes: 0,
  });
  try {
    const before = statSync(path).size;
    for (let i = 0; i < 5; i++) await storage.storeMany(entries(1000, `batch ${i}`));
    const deadline = performance.now() + waitMs;
    // the file grows while a checkpoint runs; its count moves when the thread answers
    const done = () =>
      statSync(path).size - before >= 500_000 && (storage.stats().backgroundCheckpoints?.completed ?? 0) > 0;
    while (!done() && performance.now() < deadline) await sleep(20);
    return { grown: statSync(path).size - before, checkpoints: storage.stats().backgroundCheckpoints };
  } finally {
    await storage.close();
  }
}

/** The checkpointer's pace while checkpoints succeed, and while they fail (production: 5000 ms). */
const MIN_INTERVAL_MS = 20;
const FAILING_INTERVAL_MS = 500;
const FAILED_MSG =
  "background WAL checkpoint failed: the writer checkpoints at walAutocheckpoint pages meanwhile";
const AGAIN_MSG = "background WAL checkpoint works again";
/**
 * A timer may fire a few ms before performance.now() says its delay is over: it counts from
 * the event loop's cached time, taken before the callback that set it began.
 */
const TIMER_SLACK_MS = 5;

interface Attempt {
  startedAt: number;
  outcome?: "ok" | "failed";
}

/**
 * Every checkpoint the checkpointer asks its thread for, with when it was asked and how it
 * ended. A pass-through spy on ThreadClient.request: the thread, its connection and the driver
 * are the real ones.
 */
function recordAttempts(): Attempt[] {
  const attempts: Attempt[] = [];
  const request = ThreadClient.prototype.request;
  vi.spyOn(ThreadClient.prototype, "request").mockImplementation(function (this: ThreadClient, body) {
    const answer = request.call(this, body);
    if (body.op === "checkpoint") {
      const attempt: Attempt = { startedAt: performance.now() };
      attempts.push(attempt);
      answer.then(
        () => {
          attempt.outcome = "ok";
        },
        () => {
          attempt.outcome = "failed";
        },
      );
    }
    return answer;
  });
  return attempts;
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Calls `commit` every 10 ms until the returned function is called. */
function commitsEvery10Ms(commit: () => void): () => void {
  const timer = setInterval(commit, 10);
  return () => clearInterval(timer);
}

/**
 * Commits stopped: waits for the last attempt they may still start (a timer up to the failing
 * interval away) and for every attempt's answer.
 */
async function settle(attempts: Attempt[], failing: boolean): Promise<void> {
  await sleep((failing ? FAILING_INTERVAL_MS : MIN_INTERVAL_MS) + 100);
  await until(() => attempts.every((a) => a.outcome !== undefined), "the checkpoints' answers");
}

const gaps = (attempts: Attempt[]) => attempts.slice(1).map((a, i) => a.startedAt - attempts[i]!.startedAt);

/** A WAL database the test writes to itself (never checkpointing): what the writer would leave. */
function walDatabase(path: string): { db: Database.Database; commits: number; commit: () => void } {
  const db = new Database(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA wal_autocheckpoint = 0");
  db.exec("CREATE TABLE IF NOT EXISTS t (x TEXT)");
  const insert = db.prepare("INSERT INTO t VALUES (?)");
  const wal = { db, commits: 0, commit: () => {} };
  wal.commit = () => {
    insert.run("x".repeat(2000));
    wal.commits++;
  };
  return wal;
}

describe("background checkpointer", () => {
  it("copies committed pages into the database file while the writer never checkpoints", async () => {
    // 5,000 entries of ~130 bytes: their rows and index entries are well over 500 kB
    const { grown, checkpoints } = await mainFileGrowth(true, 5000);
    expect(grown).toBeGreaterThan(500_000);
    expect(checkpoints?.completed).toBeGreaterThan(0);
    expect(checkpoints?.failed).toBe(0);
  });

  it("control: without it, the pages stay in the WAL until close()", async () => {
    const { grown, checkpoints } = await mainFileGrowth(false, 500);
    expect(grown).toBe(0);
    expect(checkpoints).toBeNull();
  });

  it("close() while commits and their checkpoints are coming in leaves an empty WAL and every entry", async () => {
    const url = temp.url("close.db");
    const storage = await openLogStorage({ url, diskReserveBytes: 0 });
    // closing while commits (and so background checkpoints) are still coming in
    const pending = Array.from({ length: 20 }, (_, i) => storage.storeMany(entries(500, `close ${i}`)));
    await sleep(5);
    await storage.close();
    await Promise.all(pending);
    const wal = `${filePathOf(url)}-wal`;
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    expect(countRowsInFile(url)).toBe(10_000);
  });

  it("close() waits for a checkpoint in flight before its final TRUNCATE, which then empties the WAL", async () => {
    const url = temp.url("close-in-flight.db");
    const path = filePathOf(url);
    const attempts = recordAttempts();
    // The writer never checkpoints before close(), and one transaction holds the whole last batch.
    const storage = await openLogStorage({
      url,
      walAutocheckpoint: 0,
      checkpointIntervalMs: 0,
      diskReserveBytes: 0,
      maxBatchSize: 30_000,
    });
    // Another connection keeps the file open (another process reading it, say): closing the
    // storage's last connection then does not checkpoint and delete the WAL, which would hide a
    // TRUNCATE that did nothing. Idle, it holds no snapshot, so the TRUNCATE need not wait for it.
    const other = new Database(path);
    try {
      other.prepare("SELECT count(*) FROM log_entries").get();
      await storage.storeMany(entries(10, "warm"));
      // the thread is started (ThreadClient.lazy) and its first checkpoint over
      await until(() => attempts.length === 1 && attempts[0]!.outcome === "ok", "the first checkpoint");
      await sleep(50);
      // ~40 MB of WAL in one commit: copying it takes the checkpoint tens of ms
      await storage.storeMany(entries(30_000, "big", 1000));
      // its commit started a checkpoint, still running as close() begins
      const inFlight = attempts.at(-1)!;
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(inFlight.outcome).toBeUndefined();
      const wal = `${path}-wal`;
      expect(statSync(wal).size).toBeGreaterThan(30_000_000);
      await storage.close();
      expect(inFlight.outcome).toBe("ok");
      // a TRUNCATE that found the checkpointer's checkpoint running would have left it whole
      expect(statSync(wal).size).toBe(0);
    } finally {
      other.close();
      await storage.close();
    }
    expect(countRowsInFile(url)).toBe(30_010);
  });
});

describe("close()'s final checkpoint", () => {
  // A reader's open snapshot keeps the TRUNCATE from finishing: close() must say so, not close
  // as if the WAL had been emptied (the pragma answers busy, it does not throw).
  for (const blocked of [true, false]) {
    it(`${blocked ? "warns when another connection's snapshot blocks it" : "control: says nothing when it completes"}`, async () => {
      const url = temp.url(`final-${blocked}.db`);
      const log = captureLogs();
      const storage = await openLogStorage({ url, busyTimeoutMs: 100, logger: log.logger });
      const reader = new Database(filePathOf(url));
      try {
        await storage.storeMany(entries(100, "final"));
        if (blocked) {
          reader.exec("BEGIN");
          reader.prepare("SELECT count(*) FROM log_entries").get(); // the snapshot is taken here
        }
        await storage.close();
        const warnings = log.messages("final WAL checkpoint failed");
        if (blocked) {
          expect(warnings).toHaveLength(1);
          expect(warnings[0]!.err).toMatchObject({
            message: expect.stringMatching(/blocked by another connection/),
          });
          expect(statSync(`${filePathOf(url)}-wal`).size).toBeGreaterThan(0);
        } else {
          expect(warnings).toEqual([]);
        }
      } finally {
        if (reader.inTransaction) reader.exec("COMMIT");
        reader.close();
      }
      expect(countRowsInFile(url)).toBe(100);
    });
  }
});

/** A checkpointer on `path` at the test paces, with its log lines and its attempts recorded. */
function watchedCheckpointer(path: string) {
  const log = captureLogs();
  const attempts = recordAttempts();
  const checkpointer = new BackgroundCheckpointer(
    { path, pragmas: connectionPragmas(resolveBatchConfig({})) },
    { minIntervalMs: MIN_INTERVAL_MS, failingIntervalMs: FAILING_INTERVAL_MS, logger: log.logger },
  );
  return { log, attempts, checkpointer };
}

describe("background checkpointer while its checkpoints fail", () => {
  it("on a file that is not a database: one warning, every attempt counted, one per failing interval and only after a commit; then works again at its normal pace", async () => {
    const path = temp.path("not-a-db.db");
    writeFileSync(path, Buffer.alloc(8192, "not a database "));
    const { log, attempts, checkpointer } = watchedCheckpointer(path);
    let stopCommits = () => {};
    let wal: ReturnType<typeof walDatabase> | undefined;
    try {
      // commits keep coming: each attempt starts a thread, which cannot open the file
      stopCommits = commitsEvery10Ms(() => checkpointer.noteCommit());
      await until(() => checkpointer.counts.failed >= 3, "3 failed checkpoints");
      stopCommits();
      await settle(attempts, true);
      const failing = attempts.length;
      expect(attempts.every((a) => a.outcome === "failed")).toBe(true);
      expect(checkpointer.counts).toEqual({ completed: 0, failed: failing });
      for (const gap of gaps(attempts))
        expect(gap).toBeGreaterThanOrEqual(FAILING_INTERVAL_MS - TIMER_SLACK_MS);
      expect(log.messages(FAILED_MSG)).toHaveLength(1);
      expect(log.messages(FAILED_MSG)[0]!.err).toMatchObject({ code: "SQLITE_NOTADB" });
      expect(log.lines.filter((l) => l.level >= 40)).toHaveLength(1);

      // no commit, no attempt (the last one is more than the failing interval ago)
      await sleep(2 * FAILING_INTERVAL_MS);
      expect(attempts).toHaveLength(failing);

      // one commit, one attempt, at once
      const committedAt = performance.now();
      checkpointer.noteCommit();
      await until(() => checkpointer.counts.failed === failing + 1, "the attempt after one commit");
      expect(attempts[failing]!.startedAt - committedAt).toBeLessThan(FAILING_INTERVAL_MS);
      await sleep(2 * FAILING_INTERVAL_MS);
      expect(attempts).toHaveLength(failing + 1);
      expect(log.messages(FAILED_MSG)).toHaveLength(1);
      expect(log.messages(AGAIN_MSG)).toHaveLength(0);

      // the file becomes a database: the next attempt (after a commit) starts a thread that opens it
      rmSync(path);
      const db = walDatabase(path);
      wal = db;
      stopCommits = commitsEvery10Ms(() => {
        db.commit();
        checkpointer.noteCommit();
      });
      await until(() => checkpointer.counts.completed >= 1, "a checkpoint that works");
      const recovered = attempts.findIndex((a) => a.outcome === "ok");
      expect(recovered).toBe(failing + 1);
      // back to its normal pace: at the failing pace there would be at most 4 over 3 failing intervals
      await sleep(3 * FAILING_INTERVAL_MS);
      stopCommits();
      await settle(attempts, false);
      const after = attempts.slice(recovered);
      expect(after.every((a) => a.outcome === "ok")).toBe(true);
      expect(checkpointer.counts).toEqual({ completed: after.length, failed: recovered });
      expect(after.length).toBeGreaterThanOrEqual(10);
      for (const gap of gaps(after)) expect(gap).toBeGreaterThanOrEqual(MIN_INTERVAL_MS - TIMER_SLACK_MS);
      expect(log.messages(AGAIN_MSG)).toHaveLength(1);
      expect(log.messages(FAILED_MSG)).toHaveLength(1);
      // and its checkpoints copied every commit (a 2000-byte row each) into the database file
      expect(statSync(path).size).toBeGreaterThan(db.commits * 2000);
    } finally {
      stopCommits();
      await checkpointer.close();
      wal?.db.close();
    }
  });

  it("on a live thread (its WAL cut short under it): each failing spell warns once, each recovery says so once", async () => {
    const path = temp.path("spells.db");
    const db = walDatabase(path);
    const walPath = `${path}-wal`;
    const { log, attempts, checkpointer } = watchedCheckpointer(path);
    let stopCommits = () => {};
    // commits arrive; until the checkpointer has answered `answers` more times
    const commitUntil = async (answers: number, commit: () => void) => {
      const target = attempts.length + answers;
      stopCommits = commitsEvery10Ms(() => {
        commit();
        checkpointer.noteCommit();
      });
      await until(() => attempts.filter((a) => a.outcome !== undefined).length >= target, "answers");
      stopCommits();
      await settle(attempts, attempts.at(-1)?.outcome === "failed");
    };
    try {
      await commitUntil(1, db.commit);
      expect(checkpointer.counts).toMatchObject({ failed: 0 });
      for (let spell = 1; spell <= 2; spell++) {
        // pages committed but not checkpointed, then the WAL is cut short: the thread's
        // connection (open, the WAL's index in memory) reads past its end
        db.commit();
        const walBytes = readFileSync(walPath);
        truncateSync(walPath, 0);
        const before = attempts.length;
        // the commits are only announced: a real one would write into the cut WAL
        await commitUntil(3, () => {});
        const spellAttempts = attempts.slice(before);
        expect(spellAttempts.every((a) => a.outcome === "failed")).toBe(true);
        for (const gap of gaps(spellAttempts))
          expect(gap).toBeGreaterThanOrEqual(FAILING_INTERVAL_MS - TIMER_SLACK_MS);
        expect(log.messages(FAILED_MSG)).toHaveLength(spell);
        expect(log.messages(FAILED_MSG).at(-1)!.err).toMatchObject({ code: "SQLITE_IOERR_SHORT_READ" });
        expect(log.messages(AGAIN_MSG)).toHaveLength(spell - 1);
        // the WAL is whole again: the next checkpoint works, on the same thread
        writeFileSync(walPath, walBytes);
        await commitUntil(3, db.commit);
        expect(attempts.at(-1)!.outcome).toBe("ok");
        expect(log.messages(AGAIN_MSG)).toHaveLength(spell);
        expect(log.messages(FAILED_MSG)).toHaveLength(spell);
      }
      const failed = attempts.filter((a) => a.outcome === "failed").length;
      expect(failed).toBeGreaterThanOrEqual(6);
      expect(checkpointer.counts).toEqual({ completed: attempts.length - failed, failed });
    } finally {
      stopCommits();
      await checkpointer.close();
      db.db.close();
    }
  });
});
