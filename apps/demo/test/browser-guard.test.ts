// A web page in the operator's browser against a batchlog it can reach (127.0.0.1:8080, auth off
// by default): it must not forge or erase entries (a text/plain POST needs no preflight), nor read
// the API by making its own name resolve to 127.0.0.1 (DNS rebinding).
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { startTestServer } from "./helpers/test-server.js";

/** A raw request, so that Host and Origin are sent as a browser would send them. */
function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; code?: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => {
        text += d.toString();
      });
      res.on("end", () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { code?: string }).code;
        } catch {
          code = undefined;
        }
        resolve({ status: res.statusCode ?? 0, ...(code !== undefined && { code }) });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("requests a web page could send", () => {
  it("Should refuse a write from another site's page and a foreign Host name, with auth off", async () => {
    const server = await startTestServer();
    const port = new URL(server.url).port;
    const entry = '{"message":"forged","level":"fatal","source":"auth"}';
    try {
      const forged = await send(
        server.url,
        "POST",
        "/api/logs",
        {
          "content-type": "text/plain",
          origin: "https://evil.example",
          host: `127.0.0.1:${port}`,
        },
        entry,
      );
      expect(forged).toEqual({ status: 403, code: "BATCHLOG_CROSS_SITE" });
      const erase = await send(server.url, "DELETE", "/api/logs?level=fatal", {
        origin: "https://evil.example",
        host: `127.0.0.1:${port}`,
      });
      expect(erase.code).toBe("BATCHLOG_CROSS_SITE");
      // the UI's own requests (same origin) and shippers' (no Origin) go through
      const own = await send(
        server.url,
        "POST",
        "/api/logs",
        {
          "content-type": "application/json",
          origin: `http://127.0.0.1:${port}`,
          host: `127.0.0.1:${port}`,
        },
        entry,
      );
      expect(own.status).toBe(201);
      const shipper = await send(
        server.url,
        "POST",
        "/api/logs",
        { "content-type": "application/json", host: `localhost:${port}` },
        entry,
      );
      expect(shipper.status).toBe(201);
      // a page that made its name resolve to 127.0.0.1 reads nothing
      const rebound = await send(server.url, "GET", "/api/logs", { host: `rebind.evil.example:${port}` });
      expect(rebound).toEqual({ status: 403, code: "BATCHLOG_FORBIDDEN_HOST" });
      // liveness by any name; a client that sends no Host at all is no browser
      expect((await send(server.url, "GET", "/healthz", { host: "probe.internal" })).status).toBe(200);
      const bare = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1", () =>
          socket.write("GET /api/logs/recent HTTP/1.0\r\n\r\n"),
        );
        let text = "";
        socket.on("data", (d: Buffer) => {
          text += d.toString();
        });
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
      });
      expect(bare.split("\r\n")[0]).toMatch(/^HTTP\/1\.[01] 200 /);
      for (const host of [
        `localhost:${port}`,
        `127.0.0.1:${port}`,
        `[::1]:${port}`,
        `app.localhost:${port}`,
      ]) {
        expect((await send(server.url, "GET", "/api/logs/recent", { host })).status, host).toBe(200);
      }
    } finally {
      await server.dispose();
    }
  });

  it("Should serve any Host name once a token is set (a rebinding page cannot know it), still refusing cross-site writes", async () => {
    const server = await startTestServer({ BATCHLOG_TOKEN: "guarded" });
    const port = new URL(server.url).port;
    try {
      const proxied = await send(server.url, "GET", "/api/logs/recent", {
        host: "logs.example.com",
        authorization: "Bearer guarded",
      });
      expect(proxied.status).toBe(200);
      const forged = await send(
        server.url,
        "POST",
        "/api/logs",
        {
          "content-type": "text/plain",
          origin: "https://evil.example",
          host: `127.0.0.1:${port}`,
          authorization: "Bearer guarded",
        },
        '{"message":"x"}',
      );
      expect(forged.code).toBe("BATCHLOG_CROSS_SITE");
    } finally {
      await server.dispose();
    }
  });
});
