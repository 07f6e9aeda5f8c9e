import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson, request, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
let base: string;
const uiDir = mkdtempSync(join(tmpdir(), "batchlog-ui-"));
const uiFile = join(uiDir, "index.html");

beforeAll(async () => {
  writeFileSync(uiFile, "<!doctype html><title>batchlog test ui</title>");
  server = await startTestServer({}, { uiFile });
  base = server.url;
});
afterAll(async () => {
  await server.dispose();
  rmSync(uiDir, { recursive: true, force: true });
});

describe("health", () => {
  it("Should answer /healthz 200", async () => {
    const res = await request(base, "/healthz");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("Should answer /readyz 200 with queue, last commit and failures", async () => {
    await postJson(base, "/api/logs", { message: "ready?" });
    const res = await request<Record<string, unknown>>(base, "/readyz");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "ok",
      queue: { depth: expect.any(Number), capacity: 100_000 },
      consecutiveFailures: 0,
      diskReserve: "held",
      reasons: [],
    });
    expect(Date.parse(res.body.lastCommitAt as string)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("GET /ready (Loki's readiness path)", () => {
  it("Should answer 200 ready while storage is ok", async () => {
    const res = await request(base, "/ready");
    expect(res.status).toBe(200);
    expect(res.text).toBe("ready\n");
  });
});

describe("GET /metrics", () => {
  it("Should expose storage, ingest and process metrics in Prometheus text", async () => {
    await postJson(base, "/api/logs", [{ message: "m1" }, { message: "m2" }]);
    await postJson(base, "/api/logs", { message: "bad", level: "nope" });
    const res = await request(base, "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const metric = (name: string) => {
      const line = res.text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line === undefined ? undefined : Number(line.split(" ").pop());
    };
    expect(metric("batchlog_entries_stored_total")).toBeGreaterThanOrEqual(3);
    expect(metric("batchlog_queue_depth")).toBeGreaterThanOrEqual(0);
    expect(metric("batchlog_queue_capacity")).toBe(100_000);
    expect(metric("batchlog_batches_total")).toBeGreaterThanOrEqual(2);
    expect(metric("batchlog_ingest_to_commit_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(metric("batchlog_batch_size_sum")).toBe(metric("batchlog_entries_stored_total"));
    expect(metric("batchlog_enqueue_to_commit_seconds_count")).toBe(metric("batchlog_entries_stored_total"));
    expect(metric("batchlog_wal_bytes")).toBeGreaterThan(0);
    // a 400 that stored its good item waited for that commit: timed like a 201
    const timed = metric("batchlog_ingest_to_commit_seconds_count") as number;
    const partial = await postJson(base, "/api/logs", [
      { message: "good" },
      { message: "bad", level: "nope" },
    ]);
    expect(partial.status).toBe(400);
    const after = (await request(base, "/metrics")).text;
    expect(after).toMatch(
      new RegExp(`^batchlog_ingest_to_commit_seconds_count\\{route="/api/logs"\\} ${timed + 1}$`, "m"),
    );
    // requests answered are not counted as given up
    expect(metric("batchlog_http_requests_aborted_total")).toBeUndefined();
    expect(metric("batchlog_database_bytes")).toBeGreaterThan(0);
    expect(metric("batchlog_disk_reserve_bytes")).toBe(16 * 1024 * 1024);
    expect(metric("batchlog_write_retries_total")).toBe(0);
    // a file with the writer thread: the checkpointer thread's counters are there
    expect(metric("batchlog_background_checkpoints_total")).toBeGreaterThanOrEqual(0);
    expect(metric("batchlog_background_checkpoint_failures_total")).toBe(0);
    for (const name of [
      "batchlog_entries_failed_total",
      'batchlog_entries_rejected_total{reason="queue_full"}',
      'batchlog_commit_duration_seconds_bucket{le="0.1"}',
      'batchlog_enqueue_to_commit_seconds_bucket{le="0.1"}',
      'batchlog_batch_size_bucket{le="1000"}',
      'batchlog_ingest_to_commit_seconds_bucket{le="0.1",route="/api/logs"}',
      'batchlog_ingest_entries_total{route="/api/logs",status="400"}',
      'batchlog_health{status="ok"} 1',
      "process_cpu_user_seconds_total",
      "nodejs_eventloop_lag_seconds",
      "batchlog_event_loop_busy_seconds_total",
      `batchlog_build_info{version="0.1.0",node="${process.versions.node}"} 1`,
    ]) {
      expect(res.text, name).toContain(name);
    }
  });
});

describe("GET /", () => {
  it("Should serve the built UI as HTML", async () => {
    const res = await request(base, "/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.text).toContain("batchlog test ui");
  });
});
