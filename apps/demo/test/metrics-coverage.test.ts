// What an operator on call asks of /metrics, on a real server: is retention working, is search
// slow, which protocol loses entries and why, is the disk filling, how busy is the event loop.
import { describe, expect, it } from "vitest";
import { eventually, postJson, request, startTestServer } from "./helpers/test-server.js";

/** The value of one sample line (`name{labels}` exactly as exposed), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const scrape = async (url: string) => (await request(url, "/metrics")).text;

describe("operational metrics", () => {
  it("Should count retention runs and deletions, and when the last one succeeded", async () => {
    const server = await startTestServer({
      BATCHLOG_RETENTION_MAX_AGE: "1h",
      BATCHLOG_RETENTION_INTERVAL: "200ms",
    });
    try {
      // an entry that aged past the limit (the HTTP routes refuse one already that old)
      await server.storage.store({ message: "old", timestamp: Date.now() - 2 * 86_400_000 });
      const text = await eventually(
        async () => {
          const t = await scrape(server.url);
          return (sample(t, "batchlog_retention_deleted_entries_total") ?? 0) >= 1 ? t : undefined;
        },
        10_000,
        "a retention run that deleted the old entry",
      );
      expect(sample(text, "batchlog_retention_deleted_entries_total")).toBe(1);
      expect(sample(text, 'batchlog_retention_runs_total{result="success"}')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'batchlog_retention_runs_total{result="failure"}')).toBe(0);
      const last = sample(text, "batchlog_retention_last_success_timestamp_seconds") ?? 0;
      expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(60);
    } finally {
      await server.dispose();
    }
  });

  it("Should expose no retention success time before a run, nor at all without retention, nor a commit time before one (0 reads as 1970)", async () => {
    const server = await startTestServer();
    try {
      // nor a last commit time before the first commit
      const fresh = await scrape(server.url);
      expect(fresh).toMatch(/^# TYPE batchlog_last_commit_timestamp_seconds gauge$/m);
      expect(sample(fresh, "batchlog_last_commit_timestamp_seconds")).toBeUndefined();
      expect((await postJson(server.url, "/api/logs", { message: "a" })).status).toBe(201);
      const text = await scrape(server.url);
      expect(text).toMatch(/^# TYPE batchlog_retention_last_success_timestamp_seconds gauge$/m);
      expect(sample(text, "batchlog_retention_last_success_timestamp_seconds")).toBeUndefined();
      expect(
        Math.abs((sample(text, "batchlog_last_commit_timestamp_seconds") ?? 0) - Date.now() / 1000),
      ).toBeLessThan(60);
    } finally {
      await server.dispose();
    }
  });

  it("Should count the entries of requests refused whole with 429 (queue full), ?wait=false ones too", async () => {
    const server = await startTestServer({
      BATCHLOG_QUEUE_CAPACITY: "5",
      BATCHLOG_MAX_BATCH_SIZE: "5",
      BATCHLOG_MAX_BATCH_DELAY_MS: "20",
    });
    try {
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          postJson(server.url, `/api/logs${i % 2 === 0 ? "" : "?wait=false"}`, [
            { message: `req ${i} a` },
            { message: `req ${i} b` },
          ]),
        ),
      );
      const limited = answers.filter((a) => a.status === 429).length;
      expect(limited).toBeGreaterThan(0);
      const text = await scrape(server.url);
      expect(
        sample(text, 'batchlog_ingest_rejected_entries_total{route="/api/logs",reason="queue_full"}'),
      ).toBe(2 * limited);
    } finally {
      await server.dispose();
    }
  });

  it("Should count the entries of requests refused whole with 503 (storage closed) on every ingest route", async () => {
    const server = await startTestServer();
    try {
      await server.storage.close();
      const native = await postJson(server.url, "/api/logs", [{ message: "a" }, { message: "b" }]);
      const loki = await postJson(server.url, "/loki/api/v1/push", {
        streams: [{ stream: { app: "x" }, values: [[`${Date.now()}000000`, "line"]] }],
      });
      const otlp = await postJson(server.url, "/v1/logs", {
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: "x" } }] }] }],
      });
      expect([native.status, loki.status, otlp.status]).toEqual([503, 503, 503]);
      const text = await scrape(server.url);
      const refused = (route: string) =>
        sample(text, `batchlog_ingest_rejected_entries_total{route="${route}",reason="closed"}`);
      expect(refused("/api/logs")).toBe(2);
      expect(refused("/loki/api/v1/push")).toBe(1);
      expect(refused("/v1/logs")).toBe(1);
    } finally {
      await server.dispose();
    }
  });

  it("Should time reads by kind, count refused items by protocol and reason, and report free disk", async () => {
    const server = await startTestServer();
    try {
      expect(
        (await postJson(server.url, "/api/logs", [{ message: "a" }, { message: "b", level: "nope" }])).status,
      ).toBe(400);
      const loki = await postJson(server.url, "/loki/api/v1/push", {
        streams: [{ stream: { app: "x" }, values: [["not-a-time", "line"]] }],
      });
      expect(loki.status).toBe(400);
      for (const path of [
        "/api/logs?q=a",
        "/api/logs?level=info",
        "/api/logs/1/context",
        "/api/logs/recent",
        "/api/fields",
        "/api/stats",
      ]) {
        expect((await request(server.url, path)).status, path).toBe(200);
      }
      expect((await request(server.url, "/api/logs?q=%22")).status).toBe(400);
      const text = await scrape(server.url);
      for (const kind of ["full_text", "search", "context", "recent", "fields", "stats"]) {
        expect(sample(text, `batchlog_query_duration_seconds_count{kind="${kind}",outcome="ok"}`), kind).toBe(
          1,
        );
      }
      expect(
        sample(text, 'batchlog_ingest_rejected_entries_total{route="/api/logs",reason="validation"}'),
      ).toBe(1);
      expect(
        sample(text, 'batchlog_ingest_rejected_entries_total{route="/loki/api/v1/push",reason="validation"}'),
      ).toBe(1);
      expect(sample(text, "batchlog_disk_free_bytes")).toBeGreaterThan(0);
    } finally {
      await server.dispose();
    }
  });

  it("Should time each page read of an export, and only the reads", async () => {
    const server = await startTestServer();
    try {
      const now = Date.now();
      await Promise.all(
        Array.from({ length: 2100 }, (_, i) =>
          server.storage.store({ message: `e${i}`, timestamp: now - i }),
        ),
      );
      const download = await request(server.url, "/api/logs/export?limit=5000");
      expect(download.status).toBe(200);
      expect(download.text.trim().split("\n")).toHaveLength(2100);
      // pages of 1000: three reads, the last one short, and no read after it
      const text = await scrape(server.url);
      expect(sample(text, 'batchlog_query_duration_seconds_count{kind="export",outcome="ok"}')).toBe(3);
      expect((await request(server.url, "/api/logs/export?limit=nope")).status).toBe(400);
      const after = await scrape(server.url);
      expect(sample(after, 'batchlog_query_duration_seconds_count{kind="export",outcome="ok"}')).toBe(3);
    } finally {
      await server.dispose();
    }
  });

  it("Should expose the event loop's busy time as a counter that rate() turns into utilization", async () => {
    const server = await startTestServer();
    try {
      const first = await scrape(server.url);
      expect(first).toMatch(/^# TYPE batchlog_event_loop_busy_seconds_total counter$/m);
      const busy = () => {
        const end = Date.now() + 50;
        while (Date.now() < end) {
          // keep the HTTP thread busy for 50 ms
        }
      };
      busy();
      const second = await scrape(server.url);
      const delta =
        (sample(second, "batchlog_event_loop_busy_seconds_total") ?? 0) -
        (sample(first, "batchlog_event_loop_busy_seconds_total") ?? 0);
      expect(delta).toBeGreaterThanOrEqual(0.045);
    } finally {
      await server.dispose();
    }
  });
});
