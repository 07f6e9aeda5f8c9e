import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { LogStorage, NewLogEntry } from "@batchlog/storage";
import { afterEach, describe, expect, it } from "vitest";
import { createLogService } from "../src/index.js";
import { json } from "./helpers/service.js";
import { openTempStorage, type TempStorage } from "./helpers/temp-storage.js";

// A full GC on demand: a new context created after the flag is set gets `gc`.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

describe("ingestion memory", () => {
  let temp: TempStorage | undefined;
  afterEach(async () => temp?.dispose());

  it("keeps no parsed entry alive while its request waits for the commit", async () => {
    temp = await openTempStorage("batched");
    const real = temp.storage;
    const handed: WeakRef<NewLogEntry>[] = [];
    let commit!: () => void;
    const slowDisk = new Promise<void>((resolve) => {
      commit = resolve;
    });
    // The real storage, with the commit's outcome held back as a slow disk would: whatever the
    // service keeps reachable until then is copied by every young-generation GC under load.
    const storage = new Proxy(real, {
      get(target, property) {
        if (property === "storeEach") {
          return (entries: NewLogEntry[]) => {
            for (const entry of entries) handed.push(new WeakRef(entry));
            const stored = target.storeEach(entries);
            return slowDisk.then(() => stored);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as LogStorage;
    const service = createLogService({ storage });
    const items = Array.from({ length: 100 }, (_, i) => ({ message: `entry ${i}`, fields: { i } }));
    const response = service.ingestNative(json(items), "application/json");

    await new Promise((resolve) => setTimeout(resolve, 20));
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(handed).toHaveLength(100);
    expect(handed.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);

    commit();
    const result = await response;
    expect(result.accepted).toBe(100);
    expect(result.ids.every((id) => typeof id === "number")).toBe(true);
    await service.close();
  });
});
