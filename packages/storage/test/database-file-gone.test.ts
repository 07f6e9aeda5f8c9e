// The database file deleted or replaced while the storage has it open: SQLite in WAL mode goes on
// committing into the unlinked file, so without a check every entry acknowledged from then on
// would be gone at the next start, with /readyz green all along.
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { openLogStorage } from "../src/index.js";
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
        // and so are the ones after it: nothing more is taken
        await expect(storage.store({ message: "later" })).rejects.toBeInstanceOf(Error);
        if (how === "deleted") expect(existsSync(path)).toBe(false);
      } finally {
        await storage.close().catch(() => {});
      }
    },
  );
});
