// What a program embedding the storage may hand it, found by a review from a library user's side:
// entries it cannot tag with their id, level names Object.prototype has, fields that do not
// serialize to an object, timer settings past what a timer can wait, and (direct baseline) a
// connection that a SQLITE_BUSY left acknowledging writes it never commits.
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  openLogStorage,
  parseLevel,
  resolveBatchConfig,
  StorageUnavailableError,
  ValidationError,
} from "../src/index.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

describe.each(["batched", "direct"] as const)("%s storage and the caller's entries", (implementation) => {
  it("Should store a frozen entry, and one whose id is read-only, and go on storing", async () => {
    const storage = await openLogStorage({ url: temp.url(`frozen-${implementation}.db`), implementation });
    try {
      const frozen = Object.freeze({ message: "frozen" });
      const readOnly = Object.defineProperty({ message: "read-only id" }, "id", {
        value: 0,
        writable: false,
      });
      expect(await storage.store(frozen)).toBe(1);
      expect(await storage.storeMany([readOnly, { message: "plain" }])).toEqual([2, 3]);
      expect(await storage.store({ message: "after" })).toBe(4);
      expect(storage.health().status).toBe("ok");
      expect((await storage.getRecent(10)).map((e) => e.message).sort()).toEqual(
        ["after", "frozen", "plain", "read-only id"].sort(),
      );
    } finally {
      await storage.close();
    }
  });

  it("Should refuse a level Object.prototype has a member for, and fields that are no JSON object", async () => {
    const storage = await openLogStorage({ url: temp.url(`inputs-${implementation}.db`), implementation });
    try {
      for (const level of ["constructor", "__proto__", "toString"]) {
        expect(parseLevel(level)).toBeUndefined();
        const error = await storage.store({ message: "x", level }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe("level");
      }
      for (const fields of [new Date(0), new Map([["a", 1]]), { toJSON: () => [1, 2] }]) {
        const error = await storage.store({ message: "x", fields: fields as never }).catch((e: unknown) => e);
        expect(error, String(fields)).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe("fields");
      }
      expect(await storage.getRecent(10)).toEqual([]);
    } finally {
      await storage.close();
    }
  });
});

describe("timer settings", () => {
  it.each(["queryTimeoutMs", "writeTimeoutMs", "enqueueTimeoutMs", "drainTimeoutMs", "checkpointIntervalMs"])(
    "Should refuse %s past 2^31 - 1 ms, which a timer would fire after 1 ms",
    (key) => {
      expect(() => resolveBatchConfig({ [key]: 2 ** 31 })).toThrow(ConfigError);
      expect(() => resolveBatchConfig({ [key]: 2 ** 31 - 1 })).not.toThrow();
    },
  );
});

describe("the direct baseline after SQLITE_BUSY", () => {
  it("Should stop writing (down) instead of acknowledging entries the connection never commits", async () => {
    const path = temp.path("busy-direct.db");
    const storage = await openLogStorage({
      url: `file:${path}`,
      implementation: "direct",
      busyTimeoutMs: 50,
    });
    const other = new Database(path);
    const acknowledged: number[] = [];
    try {
      acknowledged.push(await storage.store({ message: "first" }));
      other.exec("BEGIN IMMEDIATE");
      const busy = await storage.store({ message: "locked out" }).catch((e: unknown) => e);
      expect(busy).toBeInstanceOf(StorageUnavailableError);
      other.exec("COMMIT");
      const later = await Promise.allSettled([1, 2, 3].map((i) => storage.store({ message: `later ${i}` })));
      for (const outcome of later) {
        if (outcome.status === "fulfilled") acknowledged.push(outcome.value);
        else expect(outcome.reason).toBeInstanceOf(StorageUnavailableError);
      }
      expect(storage.health().status).toBe("down");
      expect(storage.health().reasons.join()).toMatch(/unusable after SQLITE_BUSY/);
    } finally {
      await storage.close();
    }
    // every acknowledged id is in the file
    const ids = (other.prepare("SELECT id FROM log_entries").all() as { id: number }[]).map((r) =>
      Number(r.id),
    );
    other.close();
    expect(ids).toEqual(expect.arrayContaining(acknowledged));
  });

  it("Should give a second close() the first one's promise", async () => {
    const storage = await openLogStorage({ url: temp.url("close-twice.db"), implementation: "direct" });
    await storage.store({ message: "x" });
    const first = storage.close();
    expect(storage.close()).toBe(first);
    await first;
  });
});

describe("cleanup policies", () => {
  it("Should refuse a maxEntries SQLite cannot take as a LIMIT, and a policy that is no object, as ValidationErrors", async () => {
    const storage = await openLogStorage({ url: temp.url("cleanup-policy.db") });
    try {
      for (const policy of [{ maxEntries: 1e20 }, { maxEntries: 2 ** 53 }, null]) {
        const error = await storage.cleanup(policy as never).catch((e: unknown) => e);
        expect(error, JSON.stringify(policy)).toBeInstanceOf(ValidationError);
      }
      expect(await storage.cleanup({ maxEntries: Number.MAX_SAFE_INTEGER })).toBe(0);
    } finally {
      await storage.close();
    }
  });
});
