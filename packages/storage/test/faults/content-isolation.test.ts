import { afterAll, describe, expect, it } from "vitest";
import { type NewLogEntry, openLogStorage, ValidationError } from "../../src/index.js";
import { inspect, rowsWithPrefix } from "../helpers/db-inspect.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const temp = makeTempDir("batchlog-isolation-");
afterAll(() => temp.cleanup());

/**
 * Entries that pass store()'s own validation and are refused by the database itself:
 * - a source a policy trigger refuses (RAISE(ABORT) naming the source);
 * - `fields` nested 1,500 deep: valid JSON for JSON.stringify, beyond SQLite's JSON depth limit
 *   (1,000), so json_valid() is false and CHECK log_entries_fields_check fails;
 * - a message a policy trigger refuses (RAISE(ABORT); both triggers are created on the file by
 *   another connection).
 */
const deepFields = (): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < 1500; i++) value = { a: value };
  return value;
};
const BAD: { field: string; entry: (i: number) => NewLogEntry }[] = [
  { field: "source", entry: (i) => ({ source: "REJECT-SOURCE", message: `bad-${i}` }) },
  { field: "fields", entry: (i) => ({ message: `bad-${i}`, fields: deepFields() }) },
  { field: "message", entry: (i) => ({ message: `REJECT-ME bad-${i}` }) },
];

describe("a batch that fails for its content", () => {
  for (const writerThread of [true, false]) {
    it(`writerThread=${writerThread}: 1,000 entries with 3 bad ones at random positions → 997 stored once, 3 rejected naming the field`, async () => {
      const path = temp.path(`isolation-${writerThread}.db`);
      const storage = await openLogStorage({ url: `file:${path}`, writerThread, diskReserveBytes: 0 });
      await storage.store({ message: "schema ready" });
      inspect(path, (db) =>
        db.exec(`CREATE TRIGGER reject_policy BEFORE INSERT ON log_entries
          WHEN substr(new.message, 1, 9) = 'REJECT-ME'
          BEGIN SELECT RAISE(ABORT, 'message refused by policy trigger'); END`),
      );
      inspect(path, (db) =>
        db.exec(`CREATE TRIGGER reject_source BEFORE INSERT ON log_entries
          WHEN new.source = 'REJECT-SOURCE'
          BEGIN SELECT RAISE(ABORT, 'source refused by policy trigger'); END`),
      );
      const positions = new Set<number>();
      while (positions.size < 3) positions.add(Math.floor(Math.random() * 1000));
      const badAt = [...positions];
      const entries: NewLogEntry[] = Array.from({ length: 1000 }, (_, i) => ({ message: `good-${i}` }));
      badAt.forEach((position, k) => {
        entries[position] = BAD[k]!.entry(position);
      });
      const batchesBefore = storage.stats().batches;

      // One synchronous burst of 1,000 store() calls: exactly one batch of maxBatchSize.
      const results = await Promise.allSettled(entries.map((entry) => storage.store(entry)));
      const stats = storage.stats();
      expect(stats.batches - batchesBefore).toBe(1);
      // That batch committed in one transaction with every good entry of it.
      expect(stats.batchSize.max).toBe(997);

      const rejected = results.flatMap((r, i) => (r.status === "rejected" ? [i] : []));
      expect(rejected.sort((a, b) => a - b)).toEqual([...badAt].sort((a, b) => a - b));
      badAt.forEach((position, k) => {
        const reason = (results[position] as PromiseRejectedResult).reason;
        expect(reason, `position ${position}`).toBeInstanceOf(ValidationError);
        expect((reason as ValidationError).field).toBe(BAD[k]!.field);
      });
      const ids = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      expect(ids).toHaveLength(997);
      expect(new Set(ids).size).toBe(997);
      expect(stats.entriesStored).toBe(998);
      expect(stats.entriesFailed).toBe(3);
      expect(storage.health().status).toBe("ok");
      await storage.close();

      const stored = rowsWithPrefix(path, "good-");
      expect(stored.size).toBe(997);
      results.forEach((r, i) => {
        if (r.status === "fulfilled") expect(stored.get(r.value)).toBe(`good-${i}`);
      });
      expect(rowsWithPrefix(path, "bad-").size + rowsWithPrefix(path, "REJECT-ME").size).toBe(0);
    });
  }
});
