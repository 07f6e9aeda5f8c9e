import { randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDamagedFile, openLogStorage, StorageUnavailableError } from "../../src/index.js";
import { exited, holdWriteLock, killChildren, spawnTs, waitForLine } from "../helpers/child-process.js";
import { crashCycle } from "../helpers/crash-harness.js";
import { inspect, integrityCheck } from "../helpers/db-inspect.js";
import { captureLogs } from "../helpers/log-capture.js";
import { makeTempDir } from "../helpers/temp-dir.js";
import { FRAME_HEADER, readWal, WAL_HEADER } from "../helpers/wal-file.js";

const temp = makeTempDir("batchlog-corruption-");
afterAll(async () => {
  await killChildren();
  temp.cleanup();
});

let files = 0;
/**
 * A database with `count` entries, closed cleanly and vacuumed (no WAL, no free pages), made in a
 * child process: @libsql/client keeps a closed connection's file open until garbage collection,
 * and such a leftover connection in this process would mask the damage done to the file.
 */
async function cleanDatabase(count: number): Promise<string> {
  const path = temp.path(`db-${++files}.db`);
  const child = spawnTs(new URL("../helpers/make-db.ts", import.meta.url), [path, String(count)]);
  await waitForLine(child, /^done$/, 30_000);
  await exited(child);
  return path;
}

function overwrite(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

async function openError(path: string): Promise<unknown> {
  return openLogStorage({ url: `file:${path}`, diskReserveBytes: 0 }).then(
    async (storage) => {
      await storage.close();
      return null;
    },
    (error: unknown) => error,
  );
}

describe("corruption on open", () => {
  it("header overwritten: StorageUnavailableError naming the file and SQLite's message", async () => {
    const path = await cleanDatabase(100);
    overwrite(path, 0, randomBytes(100));
    const error = await openError(path);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/file is not a database/);
  });

  it("random pages overwritten: StorageUnavailableError naming the file and the quick_check message", async () => {
    const path = await cleanDatabase(3000);
    const pageSize = inspect(path, (db) =>
      Number((db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size),
    );
    const pages = statSync(path).size / pageSize;
    expect(pages).toBeGreaterThan(50);
    // Five distinct pages other than page 1 (the header has its own test).
    const chosen = new Set<number>();
    while (chosen.size < 5) chosen.add(2 + Math.floor(Math.random() * (pages - 1)));
    for (const page of chosen) overwrite(path, (page - 1) * pageSize, randomBytes(pageSize));
    const error = await openError(path);
    expect(error, `pages ${[...chosen].join(", ")}`).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toContain(path);
    // quick_check reports the damage, or SQLite already refuses a page while checking.
    // One line, the problems themselves (not the "*** in database main ***" header), at most three.
    expect((error as Error).message).toMatch(/quick_check found \d+ problems?: .+|SQLITE_CORRUPT: .+/);
    expect((error as Error).message).not.toContain("\n");
    expect((error as Error).message).not.toContain("*** in database");
    expect(isDamagedFile(error)).toBe(true);
  });

  it("recover: true moves the file and its -wal/-shm aside with a timestamp, starts a new database, and logs it loudly", async () => {
    // A crash leaves a -wal and a -shm next to the file; then the header is destroyed.
    const path = temp.path("recover.db");
    await crashCycle({ dbPath: path, runId: "recover", synchronous: "normal", killAfterMs: 300 });
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(existsSync(`${path}-shm`)).toBe(true);
    // All three headers: with a valid WAL (and the -shm index the killed process left, which
    // SQLite trusts) page 1 is read from the WAL and the damage to the file would be masked.
    overwrite(path, 0, randomBytes(100));
    overwrite(`${path}-wal`, 0, randomBytes(32));
    overwrite(`${path}-shm`, 0, randomBytes(136));
    const walBefore = readFileSync(`${path}-wal`);
    const error = await openError(path);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    const reason = /file is not a database/;
    expect((error as Error).message).toMatch(reason);

    const logs = captureLogs();
    const storage = await openLogStorage({
      url: `file:${path}`,
      recover: true,
      logger: logs.logger,
      diskReserveBytes: 0,
    });
    const id = await storage.store({ message: "first entry of the new database" });
    expect(id).toBe(1);
    expect((await storage.getRecent(10)).map((e) => e.message)).toEqual(["first entry of the new database"]);
    await storage.close();

    const aside = readdirSync(temp.dir).filter((f) => f.startsWith("recover.db.corrupt-"));
    const base = aside.find((f) => /^recover\.db\.corrupt-\d{4}-\d\d-\d\dT[\d-]+Z$/.test(f));
    expect(base, aside.join(", ")).toBeDefined();
    expect(aside.sort()).toEqual([base, `${base}-shm`, `${base}-wal`].sort());
    expect(readFileSync(join(temp.dir, `${base}-wal`)).equals(walBefore)).toBe(true);
    const loud = logs.lines.filter((l) => l.level >= 50);
    expect(loud).toHaveLength(1);
    expect(loud[0]).toMatchObject({ file: path, movedTo: join(temp.dir, base!) });
    expect(String(loud[0]!.reason)).toMatch(reason);
    expect(integrityCheck(path)).toBe("ok");
  });
});

describe("recover: true, ids", () => {
  it("continues the ids after the damaged file's when it can still read them, so old links and tail resumes name no new entry", async () => {
    const path = await cleanDatabase(3000);
    const pageSize = inspect(path, (db) =>
      Number((db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size),
    );
    // the last pages (index and full-text leaves written last), not sqlite_sequence's near the start
    const pages = statSync(path).size / pageSize;
    for (let page = pages - 4; page <= pages; page++)
      overwrite(path, (page - 1) * pageSize, randomBytes(pageSize));
    expect(await openError(path)).toBeInstanceOf(StorageUnavailableError);
    const logs = captureLogs();
    const storage = await openLogStorage({
      url: `file:${path}`,
      recover: true,
      logger: logs.logger,
      diskReserveBytes: 0,
    });
    try {
      expect(await storage.store({ message: "first of the new file" })).toBe(3001);
      expect(logs.lines.find((l) => l.level >= 50)).toMatchObject({ idsContinueAfter: 3000 });
    } finally {
      await storage.close();
    }
  });
});

describe("recover: true and a healthy database", () => {
  it("keeps a database whose open failed for a passing reason (another process holds the write lock): clear error, nothing moved aside", async () => {
    const path = temp.path("healthy.db");
    const first = await openLogStorage({ url: `file:${path}`, diskReserveBytes: 0 });
    const id = await first.store({ message: "acknowledged before the restart" });
    await first.close();

    // The reopen has a schema change to make (a new indexed field), which needs the write lock.
    const lock = await holdWriteLock(path, 2000);
    const logs = captureLogs();
    const error = await openLogStorage({
      url: `file:${path}`,
      recover: true,
      busyTimeoutMs: 50,
      indexedFields: ["user"],
      logger: logs.logger,
      diskReserveBytes: 0,
    }).then(
      async (storage) => {
        await storage.close();
        return null;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/database is locked/);
    expect(readdirSync(temp.dir).filter((f) => f.startsWith("healthy.db.corrupt-"))).toEqual([]);
    expect(logs.lines.filter((l) => l.level >= 50)).toEqual([]);

    await lock.released;
    const again = await openLogStorage({ url: `file:${path}`, recover: true, diskReserveBytes: 0 });
    try {
      expect((await again.getRecent(10)).map((e) => e.id)).toEqual([id]);
    } finally {
      await again.close();
    }
  });
});

describe("a -wal damaged after a crash", () => {
  let pristineDb = "";
  let pristineWal: Buffer = Buffer.alloc(0);
  let acknowledged = 0;

  beforeAll(async () => {
    // Every commit stays in the WAL (no checkpoints: not the writer's, not the periodic one, not the
    // checkpointer thread's) so the damage lands among many commits.
    pristineDb = temp.path("wal-source.db");
    const result = await crashCycle({
      dbPath: pristineDb,
      runId: "wal",
      synchronous: "normal",
      killAfterMs: 1000,
      config: { walAutocheckpoint: 0, checkpointIntervalMs: 0, checkpointThread: false, diskReserveBytes: 0 },
    });
    expect(result.missing).toEqual([]);
    acknowledged = result.acknowledged;
    pristineWal = readFileSync(`${pristineDb}-wal`);
  });

  let cases = 0;
  /** Copies the crashed database with `wal` as its -wal (no -shm: as after a reboot). */
  function copyWith(wal: Buffer | null): string {
    const path = temp.path(`wal-case-${++cases}.db`);
    copyFileSync(pristineDb, path);
    if (wal !== null) writeFileSync(`${path}-wal`, wal);
    return path;
  }

  function rows(path: string): Map<number, string> {
    return inspect(path, (db) => {
      // A WAL cut before its first commit leaves a database without the schema: nothing to read.
      const table = db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_entries'")
        .get();
      if (table === undefined) return new Map<number, string>();
      const all = db.prepare("SELECT id, message FROM log_entries").all() as {
        id: number;
        message: string;
      }[];
      return new Map(all.map((r) => [Number(r.id), r.message]));
    });
  }

  /** Opens the damaged copy through the product, writes to it, and compares with a clean cut at `lastCommitEnd`. */
  async function expectRecoveredUpTo(damaged: string, lastCommitEnd: number | undefined, what: string) {
    const layout = readWal(readFileSync(`${damaged}-wal`));
    expect(layout.commitEnds.at(-1), `${what}: WAL reader`).toBe(lastCommitEnd);
    const reference = copyWith(lastCommitEnd === undefined ? null : pristineWal.subarray(0, lastCommitEnd));
    const expected = rows(reference);

    // In-process writer: what is under test is SQLite's recovery and the open checks, not the thread.
    const storage = await openLogStorage({
      url: `file:${damaged}`,
      diskReserveBytes: 0,
      writerThread: false,
    });
    const before = await storage.getRecent(1);
    const newId = await storage.store({ message: "written after recovery" });
    await storage.close();
    expect(newId, what).toBe((before[0]?.id ?? 0) + 1);

    const recovered = rows(damaged);
    recovered.delete(newId);
    expect(recovered.size, what).toBe(expected.size);
    expect(recovered, what).toEqual(expected);
    expect(integrityCheck(damaged), what).toBe("ok");
    return recovered;
  }

  it("a crash left a WAL with many commits to damage", () => {
    const layout = readWal(pristineWal);
    expect(layout.commitEnds.length, `WAL of ${pristineWal.length} bytes`).toBeGreaterThan(10);
    // Every frame written is valid (the kill cut no frame: each is one write), bar a torn tail.
    expect(layout.validFrames).toBe(
      Math.floor((pristineWal.length - WAL_HEADER) / (FRAME_HEADER + layout.pageSize)),
    );
    expect(acknowledged).toBeGreaterThan(0);
  });

  it("truncated at random offsets: opens with every transaction up to the last intact commit", async () => {
    const layout = readWal(pristineWal);
    const all = rows(copyWith(pristineWal));
    const cuts = [
      // just before the first commit ends: not even the schema survives
      (layout.commitEnds[0] as number) - 1,
      ...Array.from(
        { length: 3 },
        () => WAL_HEADER + Math.floor(Math.random() * (pristineWal.length - WAL_HEADER)),
      ),
    ];
    for (const cut of cuts) {
      const damaged = copyWith(pristineWal.subarray(0, cut));
      const lastEnd = layout.commitEnds.filter((end) => end <= cut).at(-1);
      const recovered = await expectRecoveredUpTo(damaged, lastEnd, `truncated at ${cut}`);
      // What survived is a prefix of what was committed: no transaction lost before the cut.
      const maxId = Math.max(0, ...recovered.keys());
      for (const [id, message] of all) if (id <= maxId) expect(recovered.get(id)).toBe(message);
    }
  });

  it("garbled at random offsets: opens with every transaction before the damaged frame", async () => {
    const layout = readWal(pristineWal);
    const frameSize = FRAME_HEADER + layout.pageSize;
    const offsets = [
      ...Array.from(
        { length: 4 },
        () => WAL_HEADER + Math.floor(Math.random() * (pristineWal.length - WAL_HEADER - 16)),
      ),
      Math.floor(Math.random() * (WAL_HEADER - 8)), // the WAL header itself: the whole WAL is ignored
    ];
    for (const at of offsets) {
      const wal = Buffer.from(pristineWal);
      for (let i = 0; i < 16; i++) wal[at + i]! ^= 1 + Math.floor(Math.random() * 255);
      const damaged = copyWith(wal);
      const firstBadFrame = at < WAL_HEADER ? -1 : Math.floor((at - WAL_HEADER) / frameSize);
      const lastEnd =
        at < WAL_HEADER
          ? undefined
          : layout.commitEnds.filter((end) => end <= WAL_HEADER + firstBadFrame * frameSize).at(-1);
      await expectRecoveredUpTo(damaged, lastEnd, `garbled at ${at} (frame ${firstBadFrame})`);
    }
  });
});
