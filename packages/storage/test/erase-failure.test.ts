// deleteEntries() when the database refuses the write (another process holds the write lock; a
// full disk fails the same way): a typed StorageUnavailableError, which HTTP answers 503 with
// Retry-After, not an untyped driver error (an internal error, 500).
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { openLogStorage, StorageUnavailableError } from "../src/index.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

describe.each([true, false])(
  "deleteEntries on a database that refuses writes (writer thread: %s)",
  (writerThread) => {
    it("Should reject with StorageUnavailableError, delete nothing, and work once the lock is gone", async () => {
      const path = temp.path(`erase-${writerThread}.db`);
      const storage = await openLogStorage({
        url: `file:${path}`,
        writerThread,
        readerThread: false,
        busyTimeoutMs: 0,
      });
      const locker = new Database(path);
      try {
        const ids = await storage.storeMany([{ message: "a" }, { message: "b" }]);
        locker.exec("BEGIN IMMEDIATE");
        const error = await storage.deleteEntries(ids).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageUnavailableError);
        expect((error as Error).message).toMatch(/^erasing failed: .*locked/);
        locker.exec("ROLLBACK");
        expect(await storage.deleteEntries(ids)).toBe(2);
        expect(storage.stats().entriesErased).toBe(2);
      } finally {
        locker.close();
        await storage.close();
      }
    });
  },
);
