import { describe, expect, it } from "vitest";
import { eventually, postJson, request, search, startTestServer } from "./helpers/test-server.js";

describe("retention configured by environment", () => {
  it("Should delete entries older than BATCHLOG_RETENTION_MAX_AGE and beyond BATCHLOG_RETENTION_MAX_ENTRIES", async () => {
    const server = await startTestServer({
      BATCHLOG_RETENTION_MAX_AGE: "1h",
      BATCHLOG_RETENTION_MAX_ENTRIES: "10",
      BATCHLOG_RETENTION_INTERVAL: "200ms",
    });
    try {
      const now = Date.now();
      // Entries that aged past the limit (stored before it was set): the server refuses to take
      // such entries in (a 400 naming the retention), so they go in through the storage API.
      await server.storage.storeMany([
        { source: "ret", message: "two hours old", timestamp: now - 2 * 3_600_000 },
        { source: "ret", message: "one day old", timestamp: now - 86_400_000 },
      ]);
      const refused = await postJson(server.url, "/api/logs", [
        { source: "ret", message: "two hours old, sent now", timestamp: now - 2 * 3_600_000 },
      ]);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).toContain("is older than the retention period (1h)");
      expect(refused.body).toMatchObject({
        code: "BATCHLOG_VALIDATION",
        errors: [{ code: "BATCHLOG_TOO_OLD" }],
      });
      const metrics = (await request(server.url, "/metrics")).text;
      expect(metrics).toContain('batchlog_entries_rejected_total{reason="too_old"} 1');
      expect(metrics).toContain('batchlog_entries_rejected_total{reason="validation"} 0');
      expect(metrics).toContain(
        'batchlog_ingest_rejected_entries_total{route="/api/logs",reason="too_old"} 1',
      );
      const fresh = await postJson(
        server.url,
        "/api/logs",
        Array.from({ length: 15 }, (_, i) => ({
          source: "ret",
          message: `fresh ${i}`,
          timestamp: now - 60_000 + i,
        })),
      );
      expect(fresh.status).toBe(201);
      const kept = await eventually(
        async () => {
          const entries = await search(server.url, { source: "ret" });
          return entries.length === 10 ? entries : undefined;
        },
        10_000,
        "retention to run",
      );
      expect(kept.map((e) => e.message)).toEqual(Array.from({ length: 10 }, (_, i) => `fresh ${14 - i}`));
    } finally {
      await server.dispose();
    }
  });

  it("Should delete and refuse by level with BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL, keeping the other levels", async () => {
    const server = await startTestServer({
      BATCHLOG_RETENTION_MAX_AGE_BY_LEVEL: "debug=1h,trace=1h",
      BATCHLOG_RETENTION_INTERVAL: "200ms",
    });
    try {
      const now = Date.now();
      const twoHoursAgo = now - 2 * 3_600_000;
      await server.storage.storeMany([
        { source: "lvl", level: "debug", message: "old debug", timestamp: twoHoursAgo },
        { source: "lvl", level: "error", message: "old error", timestamp: twoHoursAgo },
      ]);
      const sent = await postJson(server.url, "/api/logs", [
        { source: "lvl", level: "debug", message: "old debug, sent now", timestamp: twoHoursAgo },
        { source: "lvl", level: "info", message: "old info, sent now", timestamp: twoHoursAgo },
        { source: "lvl", level: "debug", message: "fresh debug", timestamp: now },
      ]);
      expect(sent.status).toBe(400);
      expect(sent.body).toMatchObject({ errors: [{ index: 0, code: "BATCHLOG_TOO_OLD" }] });
      expect(JSON.stringify(sent.body)).toContain("older than the retention period of debug entries (1h)");
      const kept = await eventually(
        async () => {
          const entries = await search(server.url, { source: "lvl" });
          return entries.some((e) => e.message === "old debug") ? undefined : entries;
        },
        10_000,
        "retention to run",
      );
      expect(kept.map((e) => e.message).sort()).toEqual(["fresh debug", "old error", "old info, sent now"]);
    } finally {
      await server.dispose();
    }
  });

  it("Should keep the database under BATCHLOG_RETENTION_MAX_BYTES, oldest entries first", async () => {
    const server = await startTestServer({
      BATCHLOG_RETENTION_MAX_BYTES: "1mb",
      BATCHLOG_RETENTION_INTERVAL: "200ms",
    });
    try {
      // 4000 entries of ~2 KB: ~8 MB, far over 1 MiB
      for (let i = 0; i < 4; i++) {
        const body = Array.from({ length: 1000 }, (_, j) => ({
          source: "size",
          message: `entry ${i * 1000 + j} ${"x".repeat(2000)}`,
        }));
        expect((await postJson(server.url, "/api/logs", body)).status).toBe(201);
      }
      const kept = await eventually(
        async () => {
          const entries = await search(server.url, { source: "size", limit: "1000" });
          return entries.length < 1000 ? entries : undefined;
        },
        10_000,
        "retention to run",
      );
      expect(kept[0]?.message).toMatch(/^entry 3999 /); // the newest stay
      expect(kept.length).toBeGreaterThan(100);
    } finally {
      await server.dispose();
    }
  });

  it("Should stop a long retention run at shutdown after its current chunk, not wait it out while taking requests", async () => {
    const server = await startTestServer({ BATCHLOG_RETENTION_MAX_AGE: "1d", BATCHLOG_FULL_TEXT: "false" });
    let stopped = false;
    try {
      // 100,000 entries past the limit: 20 chunks of 5,000 for the first run (1 s after start)
      const old = Date.now() - 2 * 86_400_000;
      for (let i = 0; i < 10; i++) {
        await server.storage.storeMany(
          Array.from({ length: 10_000 }, (_, j) => ({ message: `old ${i}-${j}`, timestamp: old + j })),
        );
      }
      await eventually(
        async () => (server.storage.stats().entriesDeleted > 0 ? true : undefined),
        10_000,
        "the run's first chunk",
      );
      await server.stop();
      stopped = true;
      // ended after a chunk or two: the rest stays for the next start's run
      expect(server.storage.stats().entriesDeleted).toBeLessThan(100_000);
      // and the listener closed with the stop, not after the run
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    } finally {
      if (!stopped) await server.stop();
      await server.dispose();
    }
  });
});
