// What an operator's review of the running server found wrong: wrong methods on known paths,
// the shape of every error answer, and shutdown answers.
import { connect } from "node:net";
import { Writable } from "node:stream";
import { openLogStorage } from "@batchlog/storage";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogThrottle } from "../src/log-throttle.js";
import { postJson, request, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(() => server.dispose());

describe("a wrong method on a known path", () => {
  it.each([
    ["PUT", "/api/logs", "GET, HEAD, POST"],
    ["DELETE", "/api/logs", "GET, HEAD, POST"],
    ["OPTIONS", "/api/logs", "GET, HEAD, POST"],
    ["POST", "/healthz", "GET, HEAD"],
    ["GET", "/loki/api/v1/push", "POST"],
    ["GET", "/v1/logs?x=1", "POST"],
    ["POST", "/metrics", "GET, HEAD"],
    // A HEAD of the live tail would open a stream that never ends (uptime checkers send HEAD).
    ["HEAD", "/api/logs/tail", "GET"],
  ])("Should answer %s %s with 405 and Allow: %s", async (method, path, allow) => {
    const res = await request(base, path, { method, signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    if (method === "HEAD") return; // no body
    expect(res.body).toEqual({
      error: `${method} is not allowed on ${path.split("?")[0]} (allowed: ${allow})`,
      code: "BATCHLOG_METHOD_NOT_ALLOWED",
    });
  });

  it("Should still answer 404 to a path that does not exist", async () => {
    const res = await request(base, "/api/nope", { method: "PUT" });
    expect(res.status).toBe(404);
    expect(res.headers.get("allow")).toBeNull();
    expect(res.body).toEqual({ error: "no route PUT /api/nope", code: "BATCHLOG_NOT_FOUND" });
  });
});

describe("requests arriving during shutdown", () => {
  it("Should finish the request in flight and refuse the next one with the usual JSON error and Retry-After", async () => {
    const closing = await startTestServer();
    const { port } = new URL(closing.url);
    const socket = connect(Number(port), "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString();
    });
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const body = JSON.stringify({ message: "in flight at shutdown", source: "shutdown" });
    // The request's headers arrive before the shutdown, its body after: it is in flight.
    socket.write(
      `POST /api/logs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    await new Promise((r) => setTimeout(r, 100));
    const stopped = closing.stop();
    await new Promise((r) => setTimeout(r, 100));
    // Its body, and a second request on the same connection that arrives while the server closes.
    socket.write(`${body}GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n`);
    await stopped;
    await new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once("close", () => resolve())));

    const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 201 /);
    const id = (JSON.parse(first!.slice(first!.indexOf("\r\n\r\n") + 4)) as { ids: number[] }).ids[0];
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\nretry-after: 5\r\n/i);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(second!.slice(second!.indexOf("\r\n\r\n") + 4))).toEqual({
      error: "the server is shutting down; retry later",
      code: "BATCHLOG_SHUTTING_DOWN",
    });

    const storage = await openLogStorage({ url: closing.dbUrl });
    try {
      const page = await storage.search({ sources: ["shutdown"] });
      expect(page.entries.map((e) => e.id)).toEqual([id]);
    } finally {
      await storage.close();
      await closing.dispose();
    }
  });
});

describe("POST /api/logs with invalid items", () => {
  const items = [{ message: "kept" }, { message: "bad", level: "loud" }, { message: "kept too" }];

  it("Should answer the 400 with the usual error and code beside the per-item ids and errors", async () => {
    const res = await postJson(base, "/api/logs", items);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: "1 of 3 entries not stored (see errors)",
      code: "BATCHLOG_VALIDATION",
      ids: [expect.any(Number), null, expect.any(Number)],
      errors: [{ index: 1, field: "level", code: "BATCHLOG_VALIDATION" }],
    });
  });

  it("Should do the same with ?wait=false", async () => {
    const res = await postJson(base, "/api/logs?wait=false", items);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: "1 of 3 entries not stored (see errors)",
      code: "BATCHLOG_VALIDATION",
      accepted: 2,
      errors: [{ index: 1, field: "level" }],
    });
  });
});

describe("warnings while the storage refuses every request", () => {
  it("Should log the first refusal per route, not one line per request", async () => {
    const lines: { level: number; msg: string; route?: string }[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line));
          done();
        },
      }),
    );
    const down = await startTestServer({}, { logger });
    try {
      await down.storage.close(); // every ingest is now refused: 503
      for (let i = 0; i < 20; i++) {
        expect((await postJson(down.url, "/api/logs", { message: `refused ${i}` })).status).toBe(503);
      }
      const warnings = lines.filter((l) => l.msg === "storage unavailable");
      expect(warnings).toEqual([expect.objectContaining({ level: 40, route: "/api/logs", suppressed: 0 })]);
    } finally {
      await down.dispose();
    }
  });

  it("Should log again after the interval, with how many were left out", () => {
    const throttle = new LogThrottle(10_000);
    expect(throttle.take("a", 0)).toEqual({ suppressed: 0 });
    expect(throttle.take("a", 1)).toBeUndefined();
    expect(throttle.take("a", 9_999)).toBeUndefined();
    expect(throttle.take("b", 5_000)).toEqual({ suppressed: 0 });
    expect(throttle.take("a", 10_000)).toEqual({ suppressed: 2 });
    expect(throttle.take("a", 10_001)).toBeUndefined();
  });
});
