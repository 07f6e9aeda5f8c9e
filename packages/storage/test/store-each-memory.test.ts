// storeEach keeps nothing of the caller's entries while their commit is pending: the queue holds
// them as encoded bytes. (A suspended async frame holding the entries until the commit once
// made every young-generation GC under load copy them: ~9 MB more live heap in the bench.)
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createClient } from "@libsql/client";
import { afterAll, describe, expect, it } from "vitest";
import { openLogStorage } from "../src/index.js";
import type { NewLogEntry } from "../src/types.js";
import { makeTempDir } from "./helpers/temp-dir.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const temp = makeTempDir();
afterAll(() => temp.cleanup());

describe("storeEach and memory", () => {
  it("lets the caller's entries be collected while their commit waits", async () => {
    const url = temp.url("memory.db");
    const storage = await openLogStorage({ url, busyTimeoutMs: 10 });
    // another connection holds the write lock: the batch cannot commit until it is released
    const blocker = createClient({ url });
    const lock = await blocker.transaction("write");
    await lock.execute("DELETE FROM log_entries WHERE id < 0");
    const handed: WeakRef<NewLogEntry>[] = [];
    const settled = (() => {
      const entries = Array.from({ length: 100 }, (_, i) => ({ message: `entry ${i}`, fields: { i } }));
      for (const entry of entries) handed.push(new WeakRef(entry));
      return storage.storeEach(entries);
    })();
    let done = false;
    void settled.then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(done).toBe(false); // still waiting for the lock
    expect(handed.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    await lock.rollback();
    blocker.close();
    const results = await settled;
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    await storage.close();
  });
});
