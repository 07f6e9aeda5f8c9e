import { describe, expect, it } from "vitest";
import { sampleEntries } from "../src/sample-traffic.js";
import { eventually, request, search, startTestServer, type WireEntry } from "./helpers/test-server.js";

describe("sample traffic (--generate)", () => {
  it("Should make realistic entries: several sources and levels, fields, stack traces on some errors", () => {
    const entries = sampleEntries(3000);
    expect(new Set(entries.map((e) => e.source))).toEqual(
      new Set(["api", "worker", "billing", "auth", "scheduler"]),
    );
    expect(new Set(entries.map((e) => e.level))).toEqual(
      new Set(["trace", "debug", "info", "warn", "error", "fatal"]),
    );
    const api = entries.find((e) => e.source === "api");
    expect(api?.fields).toMatchObject({
      status: expect.any(Number),
      duration_ms: expect.any(Number),
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(entries.some((e) => e.level === "error" && /\n {4}at /.test(e.message))).toBe(true);
    expect(entries.some((e) => typeof e.fields.user_id === "string")).toBe(true);
  });

  it("Should backfill an hour of history on an empty database and keep feeding live entries", async () => {
    const server = await startTestServer({ BATCHLOG_GENERATE: "50" });
    try {
      const stats = await request<{ totals: { all: number } }>(server.url, "/api/stats?from=1h");
      expect(stats.body.totals.all).toBeGreaterThanOrEqual(1000);
      const oldest = await search(server.url, { to: "30m", limit: "1" });
      expect(oldest).toHaveLength(1);
      const [newest] = (await request<{ entries: WireEntry[] }>(server.url, "/api/logs/recent?limit=1")).body
        .entries;
      await eventually(
        async () => {
          const [latest] = (await request<{ entries: WireEntry[] }>(server.url, "/api/logs/recent?limit=1"))
            .body.entries;
          return latest && newest && latest.id > newest.id ? true : undefined;
        },
        5000,
        "live sample entries",
      );
    } finally {
      await server.dispose();
    }
  });
});
