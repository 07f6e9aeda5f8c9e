import { describe, expect, it } from "vitest";
import { postJson, request, search, startTestServer } from "./helpers/test-server.js";

const TOKEN = "erase-test-token";

describe("DELETE /api/logs (erase by filter)", () => {
  it("Should erase what the filters match, behind the token, refusing a request that names nothing", async () => {
    const server = await startTestServer({ BATCHLOG_TOKEN: TOKEN });
    try {
      const now = Date.now();
      const stored = await postJson(
        server.url,
        "/api/logs",
        Array.from({ length: 30 }, (_, i) => ({
          source: "erase",
          level: i % 3 === 0 ? "error" : "info",
          message: i % 10 === 0 ? `password=hunter2 in request ${i}` : `request ${i}`,
          fields: { user: `u${i % 4}` },
          timestamp: now - 60_000 + i,
        })),
        { token: TOKEN },
      );
      expect(stored.status).toBe(201);
      const erase = (qs: string, token: string | null = TOKEN) =>
        request<{ deleted?: number; lastId?: number; to?: string; error?: string }>(
          server.url,
          `/api/logs?${qs}`,
          {
            method: "DELETE",
            ...(token !== null && { token }),
          },
        );
      expect((await erase("q=hunter2", null)).status).toBe(401);
      const bare = await erase("");
      expect(bare.status).toBe(400);
      expect(bare.body.error).toMatch(/name what to delete/);
      expect((await erase("q=hunter2&limit=5")).body.error).toMatch(/^limit: /);
      const leaked = await erase("q=hunter2&source=erase");
      expect(leaked.status).toBe(200);
      expect(leaked.body.deleted).toBe(3);
      // bounded by the ids committed when it started, not by a time
      expect(leaked.body.lastId).toBe(stored.body.ids?.at(-1));
      expect(leaked.body.to).toBeUndefined();
      const bounded = await erase(`source=erase&to=${now - 60_000}`);
      expect(bounded.body).toEqual({
        deleted: 0,
        lastId: stored.body.ids?.at(-1),
        to: new Date(now - 60_000).toISOString(),
      });
      const byField = await erase("source=erase&field.user=u1&level=error");
      // i % 4 === 1 and i % 3 === 0, minus those already erased (i % 10 === 0): 9 and 21
      expect(byField.body.deleted).toBe(2);
      const left = await search(server.url, { source: "erase" }, TOKEN);
      expect(left.map((e) => e.message).filter((m) => m.includes("hunter2"))).toEqual([]);
      expect(left).toHaveLength(25);
      const metrics = await request(server.url, "/metrics", { token: TOKEN });
      expect(metrics.text).toContain("batchlog_erased_entries_total 5");
      // the route's other methods still answer, and another is told which exist
      const put = await request(server.url, "/api/logs", { method: "PUT", token: TOKEN });
      expect(put.status).toBe(405);
      expect(put.headers.get("allow")).toContain("DELETE");
    } finally {
      await server.dispose();
    }
  });

  it("Should take a DELETE that says Content-Type: application/json with no body (some clients send it always)", async () => {
    const server = await startTestServer();
    try {
      expect((await postJson(server.url, "/api/logs", { source: "gone", message: "x" })).status).toBe(201);
      const res = await request<{ deleted?: number }>(server.url, "/api/logs?source=gone", {
        method: "DELETE",
        headers: { "content-type": "application/json" },
      });
      expect(res.status).toBe(200);
      expect(res.body.deleted).toBe(1);
    } finally {
      await server.dispose();
    }
  });
});
