// The periodic "batch statistics" line, on a real server: it reports intervals in which something
// happened, and an idle server does not print a line of zeros (with stale percentiles) every minute.
import { describe, expect, it } from "vitest";
import { captureLogger } from "./helpers/capture-logger.js";
import { eventually, postJson, startTestServer } from "./helpers/test-server.js";

interface Line {
  msg: string;
  stored?: number;
  rejected?: number;
  enqueueToCommitMsMax?: number;
  enqueueToCommitMsP99?: number;
}

describe("the batch statistics line", () => {
  it("Should be logged for an interval with writes and skipped while the server is idle", async () => {
    const lines: Line[] = [];
    const logger = captureLogger(lines);
    const statistics = () => lines.filter((l) => l.msg === "batch statistics");
    const server = await startTestServer({ BATCHLOG_STATS_INTERVAL_MS: "100" }, { logger });
    let afterWrites = -1;
    try {
      await new Promise((r) => setTimeout(r, 450));
      expect(statistics(), JSON.stringify(statistics())).toEqual([]);
      expect((await postJson(server.url, "/api/logs", [{ message: "a" }, { message: "b" }])).status).toBe(
        201,
      );
      const storedInLines = () => statistics().reduce((sum, l) => sum + (l.stored ?? 0), 0);
      await eventually(async () => (storedInLines() === 2 ? true : undefined), 5000, "a statistics line");
      // (a tick between the enqueue and the commit may add a line with the entry queued: not idle)
      afterWrites = statistics().length;
      await new Promise((r) => setTimeout(r, 450));
      expect(statistics(), JSON.stringify(statistics())).toHaveLength(afterWrites);
    } finally {
      await server.dispose();
    }
    expect(statistics()).toHaveLength(afterWrites); // nor at shutdown after an idle interval
  });

  it("Should count the items refused before the storage, and quote this interval's latencies, not older ones", async () => {
    const lines: Line[] = [];
    const logger = captureLogger(lines);
    const statistics = () => lines.filter((l) => l.msg === "batch statistics");
    const server = await startTestServer({ BATCHLOG_STATS_INTERVAL_MS: "200" }, { logger });
    try {
      // invalid and too-new items only: nothing reaches the storage, yet the interval refused 4
      const future = new Date(Date.now() + 86_400_000).toISOString();
      const refused = await postJson(server.url, "/api/logs", [
        { level: "loud", message: "x" },
        { message: "from tomorrow", timestamp: future },
        { level: "nope", message: "y" },
        { message: "again tomorrow", timestamp: future },
      ]);
      expect(refused.status).toBe(400);
      await eventually(
        async () => (statistics().some((l) => l.rejected === 4) ? true : undefined),
        5000,
        `a line with rejected 4 (${JSON.stringify(statistics())})`,
      );
      // an interval whose one entry waited ~300 ms behind a held lock says so
      const { createClient } = await import("@libsql/client");
      const locker = createClient({ url: server.dbUrl });
      const tx = await locker.transaction("write");
      const slow = postJson(server.url, "/api/logs", { message: "waits for the lock" });
      await new Promise((r) => setTimeout(r, 300));
      await tx.rollback();
      tx.close();
      locker.close();
      expect((await slow).status).toBe(201);
      await eventually(
        async () => (statistics().some((l) => (l.enqueueToCommitMsMax ?? 0) >= 250) ? true : undefined),
        5000,
        "a line with the wait",
      );
      // and the interval after it, with fast commits only, does not repeat it
      for (let i = 0; i < 3; i++) await postJson(server.url, "/api/logs", { message: `fast ${i}` });
      await eventually(
        async () => {
          const last = statistics().at(-1);
          return last !== undefined && (last.stored ?? 0) > 0 && (last.enqueueToCommitMsMax ?? 1e9) < 250
            ? true
            : undefined;
        },
        5000,
        "a later line with fast commits",
      );
    } finally {
      await server.dispose();
    }
  });
});
