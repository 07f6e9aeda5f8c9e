// /readyz follows the batch writer: another process holding the database's write lock makes the
// writer retry (SQLITE_BUSY). A failure the retry soon fixes leaves the server ready (a probe that
// flaps takes the pod out of its load balancer for nothing); failures lasting past
// BATCHLOG_READY_FAILURE_GRACE_MS are degraded → 503 with reasons, and 200 again once the write
// succeeds. /healthz stays 200 throughout.
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { eventually, postJson, request, search, startTestServer } from "./helpers/test-server.js";

interface ReadyBody {
  status: string;
  reasons: string[];
  consecutiveFailures: number;
  failingSince: string | null;
}

const lockEnv = {
  BATCHLOG_BUSY_TIMEOUT_MS: "0",
  BATCHLOG_RETRY_INITIAL_DELAY_MS: "20",
  BATCHLOG_RETRY_MAX_DELAY_MS: "100",
};

describe("GET /readyz while the database is locked", () => {
  it("Should stay 200, reporting the failures, while writes have failed for less than the grace", async () => {
    const server = await startTestServer({ ...lockEnv, BATCHLOG_READY_FAILURE_GRACE_MS: "60000" });
    const locker = createClient({ url: server.dbUrl });
    try {
      const tx = await locker.transaction("write");
      expect((await postJson(server.url, "/api/logs?wait=false", { message: "waits" })).status).toBe(202);
      const failing = await eventually(
        async () => {
          const res = await request<ReadyBody>(server.url, "/readyz");
          return res.status !== 200 || res.body.consecutiveFailures > 0 ? res : undefined;
        },
        10_000,
        "a failure seen by /readyz",
      );
      expect(failing.status).toBe(200);
      expect(failing.body.status).toBe("ok");
      expect(Date.parse(failing.body.failingSince ?? "")).toBeGreaterThan(Date.now() - 60_000);
      expect(failing.body.reasons.join(" ")).toMatch(/consecutive write failures.*not ready after 60 s/);
      expect((await request(server.url, "/ready")).status).toBe(200);
      expect((await request(server.url, "/metrics")).text).toMatch(/^batchlog_health\{status="ok"\} 1$/m);
      await tx.rollback();
      tx.close();
      await eventually(
        async () =>
          (await request<ReadyBody>(server.url, "/readyz")).body.failingSince === null ? 1 : undefined,
        10_000,
        "failures over",
      );
    } finally {
      locker.close();
      await server.dispose();
    }
  });

  it("Should answer 503 degraded once writes have failed past the grace, then 200 once one succeeds", async () => {
    const server = await startTestServer({ ...lockEnv, BATCHLOG_READY_FAILURE_GRACE_MS: "300" });
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
          const res = await request<ReadyBody>(server.url, "/readyz");
          return res.status === 503 ? res : undefined;
        },
        10_000,
        "readyz 503",
      );
      expect(degraded.body.status).toBe("degraded");
      expect(degraded.body.reasons.length).toBeGreaterThan(0);
      expect(degraded.body.consecutiveFailures).toBeGreaterThan(0);
      expect(Date.now() - Date.parse(degraded.body.failingSince ?? "")).toBeGreaterThanOrEqual(300);
      expect((await request(server.url, "/ready")).status).toBe(503);
      expect((await request(server.url, "/metrics")).text).toMatch(
        /^batchlog_health\{status="degraded"\} 1$/m,
      );
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

  it("Should be ready again once nothing is pending, though the last writes failed: traffic is what shows the database works again", async () => {
    const server = await startTestServer({
      ...lockEnv,
      BATCHLOG_READY_FAILURE_GRACE_MS: "300",
      BATCHLOG_WRITE_TIMEOUT_MS: "1500",
    });
    const locker = createClient({ url: server.dbUrl });
    try {
      const tx = await locker.transaction("write");
      // the entry waits, fails past the grace (503), then is withdrawn by the write timeout
      const refused = postJson(server.url, "/api/logs", { message: "withdrawn" });
      await eventually(
        async () => ((await request(server.url, "/readyz")).status === 503 ? true : undefined),
        10_000,
        "readyz 503 while the entry waits",
      );
      expect((await refused).status).toBe(503);
      // still locked, nothing pending: ready, the failures still listed
      const ready = await eventually(
        async () => {
          const res = await request<ReadyBody>(server.url, "/readyz");
          return res.status === 200 ? res : undefined;
        },
        10_000,
        "readyz 200 with nothing pending",
      );
      expect(ready.body.consecutiveFailures).toBeGreaterThan(0);
      expect(ready.body.reasons.join(" ")).toMatch(/nothing pending: ready/);
      expect((await request(server.url, "/ready")).status).toBe(200);
      await tx.rollback();
      tx.close();
      expect((await postJson(server.url, "/api/logs", { message: "after" })).status).toBe(201);
      expect((await request<ReadyBody>(server.url, "/readyz")).body.consecutiveFailures).toBe(0);
    } finally {
      locker.close();
      await server.dispose();
    }
  });

  it("Should answer ?wait=false with 503 while writes fail (no 202 for an entry that may be withdrawn), and 202 again after", async () => {
    const server = await startTestServer({ ...lockEnv, BATCHLOG_READY_FAILURE_GRACE_MS: "60000" });
    const locker = createClient({ url: server.dbUrl });
    try {
      const tx = await locker.transaction("write");
      expect((await postJson(server.url, "/api/logs?wait=false", { message: "queued first" })).status).toBe(
        202,
      );
      await eventually(
        async () =>
          (await request<ReadyBody>(server.url, "/readyz")).body.consecutiveFailures > 0 ? 1 : undefined,
        10_000,
        "a failed write",
      );
      const refused = await postJson(server.url, "/api/logs?wait=false", { message: "kept by the sender" });
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(refused.body).toMatchObject({ code: "BATCHLOG_UNAVAILABLE" });
      // wait=true still queues: its answer waits for the commit
      const waiting = postJson(server.url, "/api/logs", { message: "waits for the lock" });
      await tx.rollback();
      tx.close();
      expect((await waiting).status).toBe(201);
      expect((await postJson(server.url, "/api/logs?wait=false", { message: "after" })).status).toBe(202);
      await eventually(
        async () => ((await search(server.url)).length === 3 ? 1 : undefined),
        10_000,
        "3 stored",
      );
      const messages = (await search(server.url)).map((e) => e.message).sort();
      expect(messages).toEqual(["after", "queued first", "waits for the lock"]);
    } finally {
      locker.close();
      await server.dispose();
    }
  });

  it("Should take ?wait=false again once nothing is pending after a failure spell (no write would ever clear it)", async () => {
    const server = await startTestServer({
      ...lockEnv,
      BATCHLOG_READY_FAILURE_GRACE_MS: "60000",
      BATCHLOG_WRITE_TIMEOUT_MS: "400",
    });
    const locker = createClient({ url: server.dbUrl });
    try {
      const tx = await locker.transaction("write");
      expect((await postJson(server.url, "/api/logs?wait=false", { message: "withdrawn" })).status).toBe(202);
      // the entry fails, is withdrawn by the write timeout: failures counted, nothing pending
      await eventually(
        async () => {
          const ready = (await request<ReadyBody & { queue: { depth: number } }>(server.url, "/readyz")).body;
          return ready.consecutiveFailures > 0 && ready.queue.depth === 0 ? 1 : undefined;
        },
        10_000,
        "a failure spell with nothing pending",
      );
      await tx.rollback();
      tx.close();
      expect(
        (await postJson(server.url, "/api/logs?wait=false", { message: "after the spell" })).status,
      ).toBe(202);
      await eventually(
        async () => ((await search(server.url)).some((e) => e.message === "after the spell") ? 1 : undefined),
        10_000,
        "stored",
      );
    } finally {
      locker.close();
      await server.dispose();
    }
  });

  it("Should count a request whose client gave up while its entries waited for the lock", async () => {
    const server = await startTestServer({ ...lockEnv, BATCHLOG_READY_FAILURE_GRACE_MS: "60000" });
    const locker = createClient({ url: server.dbUrl });
    try {
      const tx = await locker.transaction("write");
      const gaveUp = new AbortController();
      const posting = fetch(`${server.url}/api/logs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "the client stops waiting" }),
        signal: gaveUp.signal,
      }).catch(() => "aborted");
      await new Promise((r) => setTimeout(r, 300));
      gaveUp.abort();
      expect(await posting).toBe("aborted");
      await tx.rollback();
      tx.close();
      const aborted = await eventually(
        async () =>
          /^batchlog_http_requests_aborted_total\{route="\/api\/logs",method="POST"\} 1$/m.test(
            (await request(server.url, "/metrics")).text,
          )
            ? 1
            : undefined,
        10_000,
        "the aborted request counted",
      );
      expect(aborted).toBe(1);
    } finally {
      locker.close();
      await server.dispose();
    }
  });
});
