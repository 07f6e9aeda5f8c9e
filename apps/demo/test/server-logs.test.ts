// The server's own pino lines, as an operator's log pipeline sees them: one "listening" line at
// startup carrying the URL, and nothing at info level for requests that succeed.
import { describe, expect, it } from "vitest";
import { captureLogger } from "./helpers/capture-logger.js";
import { postJson, request, startTestServer } from "./helpers/test-server.js";

interface Line {
  level: number;
  msg: string;
  url?: string;
}

describe("the server's own log lines", () => {
  it("Should log one listening line, with the URL, and no info line per successful request", async () => {
    const lines: Line[] = [];
    const server = await startTestServer({}, { logger: captureLogger(lines) });
    try {
      const listening = lines.filter((l) => /listening/i.test(l.msg));
      expect(listening, JSON.stringify(listening)).toHaveLength(1);
      expect(listening[0]).toMatchObject({ msg: "batchlog is listening", url: server.url, retention: "off" });

      const before = lines.length;
      expect((await postJson(server.url, "/api/logs", [{ message: "a" }, { message: "b" }])).status).toBe(
        201,
      );
      expect((await request(server.url, "/api/logs?q=a")).status).toBe(200);
      expect((await request(server.url, "/readyz")).status).toBe(200);
      expect((await request(server.url, "/metrics")).status).toBe(200);
      expect(lines.slice(before), JSON.stringify(lines.slice(before))).toEqual([]);
    } finally {
      await server.dispose();
    }
  });

  it("Should say in the listening line which retention is in effect", async () => {
    const lines: (Line & { retention?: unknown })[] = [];
    const server = await startTestServer(
      { BATCHLOG_RETENTION_MAX_AGE: "7d", BATCHLOG_RETENTION_MAX_ENTRIES: "1000" },
      { logger: captureLogger(lines) },
    );
    try {
      const listening = lines.find((l) => l.msg === "batchlog is listening");
      expect(listening?.retention).toEqual({
        maxAgeMs: 7 * 86_400_000,
        maxEntries: 1000,
        intervalMs: 300_000,
      });
    } finally {
      await server.dispose();
    }
  });
});
