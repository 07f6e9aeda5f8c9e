import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { classifyFailure } from "../../src/classify-error.js";
import { type LogStorage, openLogStorage, QueueFullError } from "../../src/index.js";
import { integrityCheck, rowsWithPrefix } from "../helpers/db-inspect.js";
import { ingestUntil, newLedger, until } from "../helpers/ingest.js";
import { captureLogs } from "../helpers/log-capture.js";
import { makeTempDir } from "../helpers/temp-dir.js";
import { mountTmpfs, unmount } from "../helpers/tmpfs.js";

const MiB = 1024 * 1024;
const temp = makeTempDir("batchlog-diskfull-");
// A new mount point per volume: a closed storage's files can stay open until garbage collection
// (the libsql driver frees them then), which turns the unmount lazy; never reuse that path.
let mountPoint = join(temp.dir, "probe");
let volumes = 0;
const mounted: string[] = [];
let skipReason: string | null = null;
let storage: LogStorage | null = null;

beforeAll(() => {
  // Probe once: mount and unmount, so a machine without the permission skips every test loudly.
  skipReason = mountTmpfs(mountPoint, "1m");
  if (skipReason === null) unmount(mountPoint);
  else console.warn(`[disk-full] SKIPPED: ${skipReason}`);
});
afterEach(async () => {
  await storage?.close().catch(() => {});
  storage = null;
  for (const dir of mounted) unmount(dir);
});
afterAll(() => {
  for (const dir of mounted) unmount(dir);
  temp.cleanup();
});

/** A fresh 8 MiB tmpfs with a filler file taking `fillerBytes` of it. */
function freshVolume(fillerBytes: number): { db: string; filler: string } {
  mountPoint = join(temp.dir, `volume-${++volumes}`);
  const reason = mountTmpfs(mountPoint, "8m");
  if (reason !== null) throw new Error(reason);
  mounted.push(mountPoint);
  const filler = join(mountPoint, "filler");
  writeFileSync(filler, Buffer.alloc(fillerBytes, 1));
  return { db: join(mountPoint, "logs.db"), filler };
}

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

function healthOf(s: LogStorage) {
  return s.health();
}

describe("disk full on a real 8 MiB tmpfs", () => {
  it("rejects with QueueFullError and turns degraded while full; recovers without a restart once space is freed; every acknowledged id is on disk", async (ctx) => {
    if (skipReason !== null) return ctx.skip();
    const { db, filler } = freshVolume(4 * MiB);
    const logs = captureLogs();
    storage = await openLogStorage({
      url: `file:${db}`,
      diskReserveBytes: 1 * MiB,
      walAutocheckpoint: 100, // a small WAL: the reserve covers its checkpoint
      queueCapacity: 3000,
      maxBatchSize: 500,
      busyTimeoutMs: 50,
      retry: { initialDelayMs: 20, maxDelayMs: 200 },
      logger: logs.logger,
    });
    const s = storage;
    expect(size(`${db}.reserve`)).toBe(1 * MiB);
    const ledger = newLedger();
    // Until the disk is full and, while the batch retries, the queue has filled behind it.
    let queueFullBefore = 0;
    await ingestUntil(s, ledger, "full", () => {
      if (s.health().consecutiveFailures === 0) queueFullBefore = ledger.queueFull.length;
      return ledger.queueFull.length > queueFullBefore;
    });

    // Full: the batch stays queued and retries; intake is refused once the queue is full.
    const health = healthOf(s);
    expect(health.status).toBe("degraded");
    expect(health.reasons.join(" ")).toMatch(/database or disk is full/);
    const lastError = s.stats().lastError!;
    expect(lastError.code).toMatch(/^SQLITE_FULL/);
    expect(classifyFailure({ message: lastError.message, code: lastError.code })).toBe("transient");
    expect(ledger.queueFull[0]).toBeInstanceOf(QueueFullError);
    expect(ledger.queueFull[0]!.retryAfterMs).toBeGreaterThan(0);
    expect(s.stats().queueDepth).toBeGreaterThan(2900);
    expect(ledger.otherErrors).toEqual([]);
    // Reads keep working on a full disk.
    expect((await s.getRecent(5)).length).toBe(5);
    // The reserve is held: each SQLITE_FULL checkpoints the (small) WAL, using the reserve only if needed.
    expect(size(`${db}.reserve`)).toBe(1 * MiB);
    const acknowledgedWhileFull = ledger.acknowledged.size;
    expect(acknowledgedWhileFull).toBeGreaterThan(1000);

    // Free space: the same storage object, no restart.
    const linesBeforeFreeing = logs.lines.length;
    rmSync(filler);
    await Promise.all(ledger.promises);
    expect(ledger.otherErrors).toEqual([]);
    expect(ledger.acknowledged.size).toBe(ledger.promises.length - ledger.queueFull.length);
    expect(healthOf(s).status).toBe("ok");
    await expect(s.store({ message: "after recovery" })).resolves.toBeGreaterThan(0);
    // Recovery is logged, and last: under load a retried batch may fail once more (the backlog
    // refilling the small volume, or a lock wait past busyTimeoutMs) and recover again.
    const outcomes = logs.lines
      .slice(linesBeforeFreeing)
      .filter(
        (l) => l.msg === "batch writes recovered" || l.msg === "batch write failed; retrying with backoff",
      );
    expect(outcomes.some((l) => l.msg === "batch writes recovered")).toBe(true);
    expect(outcomes.at(-1)?.msg).toBe("batch writes recovered");

    await s.close();
    storage = null;
    const stored = rowsWithPrefix(db, "full-");
    for (const [id, message] of ledger.acknowledged) expect(stored.get(id)).toBe(message);
    expect(stored.size).toBe(ledger.acknowledged.size);
    expect(integrityCheck(db)).toBe("ok");
  });

  /**
   * The trap (FACTS.md): a reader pins the WAL so it grows to fill the disk; once the reader is
   * gone, a checkpoint would need to grow the database file by more than the free space.
   */
  async function fillWithPinnedWal(db: string, reserveBytes: number) {
    const logs = captureLogs();
    const s = await openLogStorage({
      url: `file:${db}`,
      diskReserveBytes: reserveBytes,
      queueCapacity: 2000,
      maxBatchSize: 200,
      busyTimeoutMs: 50,
      checkpointIntervalMs: 0,
      retry: { initialDelayMs: 20, maxDelayMs: 100 },
      logger: logs.logger,
    });
    storage = s;
    const reader = new Database(db);
    reader.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    reader.exec("BEGIN");
    reader.prepare("SELECT count(*) FROM log_entries").get();
    const ledger = newLedger();
    let queueFullBefore = 0;
    await ingestUntil(s, ledger, "trap", () => {
      if (s.health().consecutiveFailures === 0) queueFullBefore = ledger.queueFull.length;
      return ledger.queueFull.length > queueFullBefore;
    });
    return { s, logs, reader, ledger };
  }

  it("escapes the WAL-larger-than-free-space trap by releasing the disk reserve, checkpointing, and re-creating it", async (ctx) => {
    if (skipReason !== null) return ctx.skip();
    const reserve = 3 * MiB;
    const { db, filler } = freshVolume(3 * MiB);
    const { s, logs, reader, ledger } = await fillWithPinnedWal(db, reserve);

    // While the reader pins the WAL no checkpoint can run: the reserve is kept for later.
    expect(healthOf(s).status).toBe("degraded");
    expect(size(`${db}.reserve`)).toBe(reserve);
    const wal = size(`${db}-wal`);
    expect(wal).toBeGreaterThan(1.5 * MiB);

    reader.exec("COMMIT");
    reader.close();
    // Next retry: the checkpoint fails for lack of space, the reserve is released, the
    // checkpoint succeeds, the WAL is truncated and the reserve re-created from its space.
    const escaped = () =>
      logs.lines.some((l) =>
        /released the 3\.0 MiB disk reserve; WAL checkpointed and truncated; disk reserve held/.test(
          String((l.err as { message?: string } | undefined)?.message),
        ),
      );
    await until(escaped, 10_000, "escape through the reserve");
    expect(size(`${db}.reserve`)).toBe(reserve);
    expect(healthOf(s).diskReserve).toBe("held");
    expect(size(`${db}-wal`)).toBeLessThan(wal / 2);
    expect(healthOf(s).status).not.toBe("down");

    // Freeing space now lets everything queued commit, without a restart.
    rmSync(filler);
    await Promise.all(ledger.promises);
    expect(ledger.otherErrors).toEqual([]);
    expect(healthOf(s).status).toBe("ok");
    await s.close();
    storage = null;
    const stored = rowsWithPrefix(db, "trap-");
    for (const [id, message] of ledger.acknowledged) expect(stored.get(id)).toBe(message);
    expect(stored.size).toBe(ledger.acknowledged.size);
    expect(integrityCheck(db)).toBe("ok");
  });

  it("control: the same state without a reserve is the trap — the checkpoint itself fails with SQLITE_FULL", async (ctx) => {
    if (skipReason !== null) return ctx.skip();
    // Same geometry as above, with the reserve's 3 MiB in the filler instead.
    const { db, filler } = freshVolume(6 * MiB);
    const { s, logs, reader, ledger } = await fillWithPinnedWal(db, 0);
    reader.exec("COMMIT");
    reader.close();
    const stuck = () =>
      logs.lines.filter((l) =>
        /WAL checkpoint failed too/.test(String((l.err as { message?: string } | undefined)?.message)),
      ).length >= 3;
    await until(stuck, 10_000, "three failed checkpoints");
    const checker = new Database(db);
    let checkpointError: { code?: string } | null = null;
    try {
      checker.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (error) {
      checkpointError = error as { code?: string };
    } finally {
      checker.close();
    }
    expect(checkpointError?.code).toBe("SQLITE_FULL");
    expect(healthOf(s).status).toBe("degraded");

    rmSync(filler);
    await Promise.all(ledger.promises);
    expect(healthOf(s).status).toBe("ok");
    await s.close();
    storage = null;
    const stored = rowsWithPrefix(db, "trap-");
    for (const [id, message] of ledger.acknowledged) expect(stored.get(id)).toBe(message);
    expect(integrityCheck(db)).toBe("ok");
  });
});
