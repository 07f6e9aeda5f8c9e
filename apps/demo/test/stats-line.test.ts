// The periodic "batch statistics" line, on a real server: it reports intervals in which something
// happened, and an idle server does not print a line of zeros (with stale percentiles) every minute.
import { describe, expect, it } from "vitest";
import { captureLogger } from "./helpers/capture-logger.js";
import { eventually, postJson, startTestServer } from "./helpers/test-server.js";

interface Line {
  msg: string;
  stored?: number;
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
});
