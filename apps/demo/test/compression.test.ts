// Responses in the encoding the client accepts: the UI and large search pages shrink over a
// network; live-tail streams and small answers are sent as they are; request bodies are still
// decoded by the service itself (within the body limit after decompression).
import { request as httpRequest } from "node:http";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson, request, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  const body = Array.from({ length: 1000 }, (_, i) => ({ source: "zip", message: `compressible line ${i}` }));
  expect((await postJson(server.url, "/api/logs", body)).status).toBe(201);
});
afterAll(() => server.dispose());

/** The raw answer: headers and undecoded body bytes (fetch would decode them out of sight). */
function raw(
  path: string,
  acceptEncoding: string,
): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${server.url}${path}`,
      { headers: { "accept-encoding": acceptEncoding } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("response compression", () => {
  it("Should gzip a large search page for a client that accepts it, the same JSON once decoded", async () => {
    const plain = await raw("/api/logs?source=zip&limit=1000", "identity");
    const zipped = await raw("/api/logs?source=zip&limit=1000", "gzip");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.body.length).toBeLessThan(plain.body.length / 4);
    expect(JSON.parse(gunzipSync(zipped.body).toString())).toEqual(JSON.parse(plain.body.toString()));
  });

  it("Should compress the UI page and /metrics, and leave small answers as they are", async () => {
    const ui = await raw("/", "gzip, deflate, br");
    expect(ui.headers["content-encoding"]).toBe("br");
    const metrics = await raw("/metrics", "gzip");
    expect(metrics.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(metrics.body).toString()).toContain("batchlog_entries_stored_total");
    const health = await raw("/healthz", "gzip");
    expect(health.headers["content-encoding"]).toBeUndefined();
    expect(JSON.parse(health.body.toString())).toEqual({ status: "ok" });
  });

  it("Should stream live tail uncompressed whatever the client accepts", async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/logs/tail?source=zip-tail`, {
      headers: { "accept-encoding": "gzip" },
      signal: controller.signal,
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("content-encoding")).toBeNull();
    const reader = res.body!.getReader();
    await postJson(server.url, "/api/logs", { source: "zip-tail", message: "live" });
    let text = "";
    while (!text.includes('"message":"live"')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
  });

  it("Should still decode a gzip request body itself, within the body limit", async () => {
    const body = gzipSync(JSON.stringify([{ source: "zip-in", message: "sent gzipped" }]));
    const res = await request<{ ids: number[] }>(server.url, "/api/logs", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body,
    });
    expect(res.status).toBe(201);
    expect(res.body.ids).toHaveLength(1);
  });
});
