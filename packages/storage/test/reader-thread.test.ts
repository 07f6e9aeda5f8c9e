import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../src/errors.js";
import { openLogStorage, type SearchQuery } from "../src/index.js";
import { ProcessLogReader } from "../src/reader/process-log-reader.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
const ROWS = 200_000;
let url = "";

beforeAll(async () => {
  url = temp.url("reads.db");
  await (await openLogStorage({ url })).close(); // migrate
  const db = new Database(temp.path("reads.db"));
  const insert = db.prepare(
    "INSERT INTO log_entries (timestamp, level, source, message, fields) VALUES (?, 3, 'api', ?, ?)",
  );
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++)
      insert.run(1_700_000_000_000 + i, `request ${i} done`, `{"user":"u${i % 1000}"}`);
  })();
  db.close();
}, 60_000);
afterAll(() => temp.cleanup());

/** Timer ticks the event loop gets while `work` runs, and how long it ran. */
async function ticksDuring(work: () => Promise<unknown>): Promise<{ ticks: number; ms: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  clearInterval(timer);
  return { ticks, ms };
}

describe("reader process (readerThread)", () => {
  // A fields match nothing satisfies: it evaluates json_extract on every row (~100+ ms here).
  const slowQuery = { fields: { user: "nobody" } };

  // With the reader thread a 1 ms timer keeps firing (about once per millisecond) while the slow
  // search runs; the control, reads on the main thread, shows that the same search blocks it.
  it.each([
    { readerThread: true, loop: "keeps turning" },
    { readerThread: false, loop: "is blocked (control)" },
  ])(
    "readerThread $readerThread: the event loop $loop while a slow search runs",
    async ({ readerThread }) => {
      const storage = await openLogStorage({ url, readerThread });
      try {
        const { ticks, ms } = await ticksDuring(() => storage.search(slowQuery));
        expect(ms).toBeGreaterThan(30);
        if (readerThread) expect(ticks).toBeGreaterThan(ms / 10);
        else expect(ticks).toBeLessThan(ms / 10);
      } finally {
        await storage.close();
      }
    },
  );

  it("rejects a query the process cannot be sent (a function in it) and goes on serving reads", async () => {
    const storage = await openLogStorage({ url });
    try {
      const unsendable = { text: "request", extra: () => 1 } as unknown as SearchQuery;
      const errors = [
        await storage.search(unsendable).catch((e: unknown) => e),
        await storage.search(unsendable).catch((e: unknown) => e),
      ];
      // the process that never received it still serves every read, one after another
      for (let i = 0; i < 3; i++) {
        expect((await storage.getRecent(1))[0]!.message).toBe(`request ${ROWS - 1} done`);
        expect((await storage.search({ text: "request", limit: 1 })).entries).toHaveLength(1);
      }
      for (const error of errors) {
        expect(error).toBeInstanceOf(ValidationError);
        expect(error).toMatchObject({
          field: "query",
          message: expect.stringMatching(/could not be cloned/),
        });
      }
    } finally {
      await storage.close();
    }
  });

  it("starts with the first read, answers in order, rebuilds ValidationErrors, and restarts after a crash", async () => {
    const reader = new ProcessLogReader(
      { path: temp.path("reads.db"), pragmas: [], fullText: true, skippedCountWindow: 100_000 },
      { queryTimeoutMs: 30_000, processes: 1 },
    );
    try {
      const [recent, page] = await Promise.all([
        reader.getRecent(3),
        reader.search({ limit: 2, levels: ["info"] }),
      ]);
      expect(recent.map((e) => e.message)).toEqual([
        `request ${ROWS - 1} done`,
        `request ${ROWS - 2} done`,
        `request ${ROWS - 3} done`,
      ]);
      expect(recent[0]!.timestamp).toBeInstanceOf(Date);
      expect(page.entries).toHaveLength(2);
      const bad = await reader.search({ text: '"unclosed' }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ValidationError);
      expect((bad as ValidationError).field).toBe("text");

      await reader.kill();
      // the process is gone: the next read starts a new one on the same file
      expect((await reader.getRecent(1))[0]!.message).toBe(`request ${ROWS - 1} done`);
      expect(reader.restarts).toBe(1);
    } finally {
      await reader.close();
    }
  });
});
