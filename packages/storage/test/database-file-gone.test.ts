// The database file deleted or replaced while the storage has it open: SQLite in WAL mode goes on
// committing into the unlinked file, so without a check every entry acknowledged from then on
// would be gone at the next start, with /readyz green all along.
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { openLogStorage, StorageUnavailableError } from "../src/index.js";
import { captureLogs } from "./helpers/log-capture.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

describe.each([
  ["writer thread", true],
  ["in-process writer", false],
])("a database file that goes away (%s)", (_name, writerThread) => {
  it.each(["deleted", "replaced"] as const)(
    "Should refuse the writes once the file is %s, acknowledge none of them, and report down",
    async (how) => {
      const name = `${how}-${writerThread}`;
      const path = temp.path(`${name}.db`);
      const storage = await openLogStorage({ url: `file:${path}`, writerThread, readerThread: false });
      try {
        expect(await storage.store({ message: "before" })).toBe(1);
        if (how === "deleted")
          for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
        else {
          writeFileSync(temp.path(`${name}-other`), "");
          renameSync(temp.path(`${name}-other`), path);
        }
        const after = await storage.store({ message: "after" }).catch((error: unknown) => error);
        expect(after).toBeInstanceOf(Error);
        expect((after as Error).message).toMatch(
          new RegExp(`was ${how === "deleted" ? "deleted" : "replaced"}`),
        );
        const health = storage.health();
        expect(health.status).toBe("down");
        expect(health.reasons.join()).toMatch(/Restart batchlog/);
        // and so are the ones after it, at once: refused before they are queued, so that an
        // HTTP caller gets a 503 to retry rather than a 202 for an entry that can only fail
        const before = storage.stats();
        const later = await storage.store({ message: "later" }).catch((error: unknown) => error);
        expect(later).toBeInstanceOf(StorageUnavailableError);
        expect((later as Error).message).toMatch(/^database unusable: /);
        await expect(storage.storeMany([{ message: "a" }, { message: "b" }])).rejects.toBeInstanceOf(
          StorageUnavailableError,
        );
        const after2 = storage.stats();
        expect(after2.entriesEnqueued).toBe(before.entriesEnqueued);
        expect(after2.consecutiveFailures).toBe(before.consecutiveFailures); // no write tried
        expect(after2.rejectedByReason.unavailable).toBe((before.rejectedByReason.unavailable ?? 0) + 3);
        if (how === "deleted") expect(existsSync(path)).toBe(false);
      } finally {
        await storage.close().catch(() => {});
      }
    },
  );
});

it("Should try one more write 5 s after a fatal failure, and refuse again at once when it fails too", async () => {
  const path = temp.path("probe.db");
  const storage = await openLogStorage({ url: `file:${path}`, readerThread: false });
  try {
    await storage.store({ message: "before" });
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    await expect(storage.store({ message: "fails" })).rejects.toBeInstanceOf(StorageUnavailableError);
    const failures = storage.stats().consecutiveFailures;
    await expect(storage.store({ message: "refused" })).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(storage.stats().consecutiveFailures).toBe(failures);
    await new Promise((resolve) => setTimeout(resolve, 5100));
    // taken and written (the file may have come back): here it is still gone, so it fails
    await expect(storage.store({ message: "probe" })).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(storage.stats().consecutiveFailures).toBe(failures + 1);
    await expect(storage.store({ message: "refused again" })).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(storage.stats().consecutiveFailures).toBe(failures + 1);
  } finally {
    await storage.close().catch(() => {});
  }
});

it("Should log the batches a fatal failure rejects in one line, not one per batch", async () => {
  const path = temp.path("flood.db");
  const log = captureLogs();
  const storage = await openLogStorage({
    url: `file:${path}`,
    readerThread: false,
    maxBatchSize: 10,
    logger: log.logger,
  });
  try {
    await storage.store({ message: "before" });
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    // 30 batches queued before the first of them fails
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) => storage.store({ message: `queued ${i}` })),
    );
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(storage.stats().entriesFailed).toBeGreaterThan(10); // more than one batch failed
    expect(log.lines.filter((l) => l.msg.startsWith("batch write failed; rejecting"))).toHaveLength(1);
  } finally {
    await storage.close().catch(() => {});
  }
});

it("Should reject requests waiting for room (whenFull: wait) when a fatal failure frees it, not crash the queue", async () => {
  const path = temp.path("waiters.db");
  const storage = await openLogStorage({
    url: `file:${path}`,
    readerThread: false,
    whenFull: "wait",
    queueCapacity: 10,
    maxBatchSize: 10,
  });
  try {
    await storage.store({ message: "before" });
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    // 10 fill the queue; 3 more wait for room, which the failed batch then frees
    const results = await Promise.allSettled([
      storage.storeMany(Array.from({ length: 10 }, (_, i) => ({ message: `fills ${i}` }))),
      ...Array.from({ length: 3 }, (_, i) => storage.store({ message: `waits ${i}` })),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected", "rejected"]);
    for (const r of results)
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StorageUnavailableError);
  } finally {
    // the queue's loop is alive: close drains and resolves
    await storage.close();
  }
});
