import { existsSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { filePathOf } from "../src/database.js";
import { openLogStorage, type StorageStats } from "../src/index.js";
import { countRowsInFile } from "./contract.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

const entries = (count: number, tag: string) =>
  Array.from({ length: count }, (_, i) => ({ message: `${tag} ${i} ${"x".repeat(100)}`, source: "ckpt" }));

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
});
