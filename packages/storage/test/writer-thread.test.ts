import { afterAll, describe, expect, it } from "vitest";
import { filePathOf } from "../src/database.js";
import { openLogStorage } from "../src/index.js";
import { WorkerBatchWriter } from "../src/writers/worker-batch-writer.js";
import { countRowsInFile } from "./contract.js";
import { rowsToWrite } from "./helpers/rows-to-write.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

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
    const inFlight = writer.write(rowsToWrite(big));
    await writer.kill();
    // the request it held fails like a lost connection (transient: the queue retries it)…
    await expect(inFlight).rejects.toMatchObject({ code: "CLIENT_CLOSED" });
    // …and the next request runs on a new thread
    const after = await writer.write(rowsToWrite([[3, 3, "a", "after the restart", null]]));
    expect(after.ok).toBe(true);
    expect(writer.restarts).toBe(1);
    await writer.close();
    // the killed transaction committed whole or not at all
    expect([2, 20_002]).toContain(countRowsInFile(url));
  });
});
