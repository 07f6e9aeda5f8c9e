// /readyz follows the batch writer: another process holding the database's write lock makes the
// writer retry (SQLITE_BUSY) → degraded → 503 with reasons; once the lock goes, the queued entry
// commits and readiness is back to 200. /healthz stays 200 throughout.
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { eventually, postJson, request, search, startTestServer } from "./helpers/test-server.js";

describe("GET /readyz while the database is locked", () => {
  it("Should answer 503 degraded with reasons, then 200 once the write succeeds", async () => {
    const server = await startTestServer({
      BATCHLOG_BUSY_TIMEOUT_MS: "0",
      BATCHLOG_RETRY_INITIAL_DELAY_MS: "20",
      BATCHLOG_RETRY_MAX_DELAY_MS: "100",
    });
    const locker = createClient({ url: server.dbUrl });
    try {
      expect((await postJson(server.url, "/api/logs", { message: "before the lock" })).status).toBe(201);
      const tx = await locker.transaction("write");
      const accepted = await postJson(server.url, "/api/logs?wait=false", {
        source: "locked",
        message: "waits for the lock",
      });
      expect(accepted.status).toBe(202);
      const degraded = await eventually(
        async () => {
          const res = await request<{ status: string; reasons: string[]; consecutiveFailures: number }>(
            server.url,
            "/readyz",
          );
          return res.status === 503 ? res : undefined;
        },
        10_000,
        "readyz 503",
      );
      expect(degraded.body.status).toMatch(/^(degraded|down)$/);
      expect(degraded.body.reasons.length).toBeGreaterThan(0);
      expect(degraded.body.consecutiveFailures).toBeGreaterThan(0);
      expect((await request(server.url, "/healthz")).status).toBe(200);
      await tx.rollback();
      tx.close();
      await eventually(
        async () => ((await request(server.url, "/readyz")).status === 200 ? true : undefined),
        10_000,
        "readyz 200",
      );
      expect((await search(server.url, { source: "locked" })).map((e) => e.message)).toEqual([
        "waits for the lock",
      ]);
      const metrics = await request(server.url, "/metrics");
      expect(metrics.text).toMatch(/^batchlog_write_retries_total [1-9]/m);
    } finally {
      locker.close();
      await server.dispose();
    }
  });
});
