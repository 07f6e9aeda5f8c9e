import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSse } from "./helpers/sse.js";
import { postJson, request, startTestServer, type TestServer } from "./helpers/test-server.js";

const TOKEN = "s3cret-token-for-tests";

describe("with BATCHLOG_TOKEN set", () => {
  let server: TestServer;
  let base: string;
  beforeAll(async () => {
    server = await startTestServer({ BATCHLOG_TOKEN: TOKEN });
    base = server.url;
  });
  afterAll(() => server.dispose());

  it.each([
    ["GET", "/api/logs"],
    ["GET", "/api/logs/recent"],
    ["GET", "/api/logs/1/context"],
    ["GET", "/api/logs/export"],
    ["GET", "/api/fields"],
    ["GET", "/api/logs/tail"],
    ["GET", "/api/stats"],
    ["GET", "/readyz"],
    ["GET", "/metrics"],
    ["POST", "/api/logs"],
    ["POST", "/loki/api/v1/push"],
  ])("Should answer 401 to %s %s without a token", async (method, path) => {
    const res = await request(
      base,
      path,
      method === "POST" ? { method, body: "{}", headers: { "content-type": "application/json" } } : {},
    );
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "a bearer token is required", code: "BATCHLOG_UNAUTHORIZED" });
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="batchlog"');
  });

  it("Should answer 401 to POST /v1/logs without a token with the google.rpc.Status OTLP clients read", async () => {
    const res = await request(base, "/v1/logs", {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      code: 16,
      message: "a bearer token is required",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "BATCHLOG_UNAUTHORIZED",
          domain: "batchlog",
        },
      ],
    });
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="batchlog"');
  });

  it("Should answer 401 to a wrong token, and to a token of a different length", async () => {
    for (const token of ["s3cret-token-for-tesTs", "x", `${TOKEN}${TOKEN}`]) {
      const res = await request(base, "/api/logs", { token });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: "invalid token" });
    }
  });

  it("Should accept the right bearer token", async () => {
    const posted = await postJson(
      base,
      "/api/logs",
      { message: "authorized", source: "auth-test" },
      { token: TOKEN },
    );
    expect(posted.status).toBe(201);
    const res = await request<{ entries: { message: string }[] }>(base, "/api/logs?source=auth-test", {
      token: TOKEN,
    });
    expect(res.status).toBe(200);
    expect(res.body.entries[0]?.message).toBe("authorized");
    expect((await request(base, "/metrics", { token: TOKEN })).status).toBe(200);
  });

  it("Should keep /healthz (and the UI shell) open", async () => {
    expect((await request(base, "/healthz")).status).toBe(200);
    expect([200, 503]).toContain((await request(base, "/")).status);
  });

  it("Should accept ?token= on the live tail and the export (a download link), nowhere else", async () => {
    const wrong = await request(base, "/api/logs/tail?token=nope");
    expect(wrong.status).toBe(401);
    expect((await request(base, `/api/logs?token=${TOKEN}`)).status).toBe(401);
    const stream = await openSse(`${base}/api/logs/tail?source=auth-tail&token=${encodeURIComponent(TOKEN)}`);
    expect(stream.status).toBe(200);
    await postJson(base, "/api/logs", { message: "streamed", source: "auth-tail" }, { token: TOKEN });
    await stream.waitFor((events) => events.length === 1);
    expect(JSON.parse(stream.events[0]!.data)).toMatchObject({ message: "streamed" });
    stream.close();
    expect((await request(base, "/api/logs/export?token=nope")).status).toBe(401);
    const download = await fetch(
      `${base}/api/logs/export?source=auth-tail&token=${encodeURIComponent(TOKEN)}`,
    );
    expect(download.status).toBe(200);
    expect(JSON.parse(await download.text())).toMatchObject({ message: "streamed", source: "auth-tail" });
    expect((await request(base, `/api/logs/1/context?token=${TOKEN}`)).status).toBe(401);
  });
});

describe("without BATCHLOG_TOKEN", () => {
  it("Should serve every route without a token", async () => {
    const server = await startTestServer();
    try {
      expect((await request(server.url, "/api/logs")).status).toBe(200);
      expect((await request(server.url, "/readyz")).status).toBe(200);
      expect((await request(server.url, "/metrics")).status).toBe(200);
      expect((await postJson(server.url, "/api/logs", { message: "open" })).status).toBe(201);
      // A token sent anyway is ignored.
      expect((await request(server.url, "/api/logs", { token: "whatever" })).status).toBe(200);
    } finally {
      await server.dispose();
    }
  });
});
