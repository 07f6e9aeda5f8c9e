// Entries taken from the queue into a batch are not kept by the queue: once their batch commits,
// nothing of them stays reachable, even while later entries still wait. (Taken slots once kept up
// to 4096 committed entries alive — the caller's objects, their rows and promises — and every
// young-generation GC copied them, then promoted them: 1.8 MB per scavenge with 64 single-entry
// producers in the bench.)
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, describe, expect, it } from "vitest";
import { openLogStorage } from "../src/index.js";
import type { LogStorage, NewLogEntry } from "../src/types.js";
import { makeTempDir } from "./helpers/temp-dir.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const temp = makeTempDir();
afterAll(() => temp.cleanup());

function storeAll(storage: LogStorage, refs: WeakRef<NewLogEntry>[], count: number) {
  const entries = Array.from({ length: count }, (_, i) => ({ message: `entry ${i}`, fields: { i } }));
  for (const entry of entries) refs.push(new WeakRef(entry));
  // store() sets entry.id, so the queue holds each caller's object until its commit
  return Promise.all(entries.map((entry) => storage.store(entry)));
}

describe("the insert queue and memory", () => {
  it("keeps nothing of a committed batch while later entries still wait", async () => {
    const storage = await openLogStorage({ url: temp.url("queue-memory.db"), maxBatchSize: 10 });
    const first: WeakRef<NewLogEntry>[] = [];
    const later: WeakRef<NewLogEntry>[] = [];
    const firstIds = storeAll(storage, first, 10);
    let laterDone = false;
    const laterIds = storeAll(storage, later, 2000).then((ids) => {
      laterDone = true;
      return ids;
    });
    expect(await firstIds).toHaveLength(10);
    collectGarbage();
    expect(laterDone).toBe(false); // the queue still holds most of the later entries
    expect(first.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    expect(await laterIds).toHaveLength(2000);
    await storage.close();
  });

  it("keeps nothing once the queue is empty", async () => {
    const storage = await openLogStorage({ url: temp.url("queue-empty.db") });
    const refs: WeakRef<NewLogEntry>[] = [];
    for (let round = 0; round < 5; round++) expect(await storeAll(storage, refs, 64)).toHaveLength(64);
    collectGarbage();
    expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    await storage.close();
  });
});
