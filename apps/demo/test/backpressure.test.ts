import { describe, expect, it } from "vitest";
import { captureLogger } from "./helpers/capture-logger.js";
import { postJson, request, search, startTestServer } from "./helpers/test-server.js";

describe("backpressure", () => {
  it("Should answer 429 with Retry-After when the queue is full, and store every 201'd entry", async () => {
    const server = await startTestServer({
      BATCHLOG_QUEUE_CAPACITY: "5",
      BATCHLOG_MAX_BATCH_SIZE: "5",
      BATCHLOG_MAX_BATCH_DELAY_MS: "20",
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          postJson(server.url, "/api/logs", [
            { source: "bp", message: `req ${i} a` },
            { source: "bp", message: `req ${i} b` },
          ]),
        ),
      );
      const statuses = answers.map((a) => a.status);
      const limited = answers.filter((a) => a.status === 429);
      expect(limited.length, String(statuses)).toBeGreaterThan(0);
      expect(answers.filter((a) => a.status === 201).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 201 || s === 429)).toBe(true);
      for (const a of limited) {
        expect(Number(a.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        expect(a.body).toMatchObject({ code: "BATCHLOG_QUEUE_FULL" });
      }
      const acknowledged = answers.filter((a) => a.status === 201).flatMap((a) => a.body.ids as number[]);
      const stored = new Set<number>();
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { entries: { id: number }[]; nextCursor: string | null } } =
          await request(server.url, `/api/logs?source=bp&limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
        for (const e of page.body.entries) stored.add(e.id);
        cursor = page.body.nextCursor;
      } while (cursor);
      for (const id of acknowledged) expect(stored.has(id)).toBe(true);
      expect(stored.size).toBe(acknowledged.length);
      const metrics = await request(server.url, "/metrics");
      expect(metrics.text).toMatch(/batchlog_entries_rejected_total\{reason="queue_full"\} [1-9]/);
    } finally {
      await server.dispose();
    }
  });

  it("Should answer 503 with Retry-After on every ingest route, and readyz 503, once storage is unavailable", async () => {
    const lines: { level: number; msg: string; route?: string }[] = [];
    const logger = captureLogger(lines, "debug");
    const server = await startTestServer({}, { logger });
    try {
      expect((await postJson(server.url, "/api/logs", { message: "before" })).status).toBe(201);
      // The database goes away under the running server (here: closed), as when it becomes unusable.
      await server.storage.close();
      const native = await postJson(server.url, "/api/logs", { message: "after" });
      expect(native.status).toBe(503);
      expect(native.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(native.body.error).toBe("storage is unavailable; retry later");
      // one warning per refused request, not an error on top of it
      const aboutIt = lines.filter((l) => l.route === "/api/logs" && l.level >= 40);
      expect(aboutIt.map((l) => [l.level, l.msg])).toEqual([[40, "storage unavailable"]]);
      const loki = await postJson(server.url, "/loki/api/v1/push", {
        streams: [{ stream: { app: "x" }, values: [[`${Date.now()}000000`, "line"]] }],
      });
      expect(loki.status).toBe(503);
      expect(loki.headers.get("retry-after")).toMatch(/^\d+$/);
      const otlp = await postJson(server.url, "/v1/logs", {
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: "x" } }] }] }],
      });
      expect(otlp.status).toBe(503);
      expect(otlp.headers.get("retry-after")).toMatch(/^\d+$/);
      const ready = await request(server.url, "/readyz");
      expect(ready.status).toBe(503);
      expect((await request(server.url, "/healthz")).status).toBe(200);
      await expect(search(server.url)).rejects.toThrow(/503/);
    } finally {
      await server.dispose();
    }
  });
});
