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
  /** A connection with a POST in flight: its headers sent, its body held back until `finish`. */
  async function inFlight(port: number, message: string) {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString();
    });
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const body = JSON.stringify({ message, source: "shutdown" });
    socket.write(
      `POST /api/logs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    return {
      /** Sends the body and, on the same connection, a GET of `next`; resolves with both answers. */
      async finish(next: string): Promise<{ status: number; head: string; body: unknown }[]> {
        socket.write(`${body}GET ${next} HTTP/1.1\r\nhost: x\r\n\r\n`);
        await new Promise<void>((resolve) =>
          socket.closed ? resolve() : socket.once("close", () => resolve()),
        );
        return received.split(/(?=HTTP\/1\.1 )/).map((answer) => {
          const at = answer.indexOf("\r\n\r\n");
          return {
            status: Number(answer.slice(9, 12)),
            head: answer.slice(0, at),
            body: JSON.parse(answer.slice(at + 4)),
          };
        });
      },
    };
  }

  it("Should finish the requests in flight, refuse the next ones with the usual JSON error and Retry-After, and keep /healthz live", async () => {
    const closing = await startTestServer();
    const port = Number(new URL(closing.url).port);
    const a = await inFlight(port, "in flight at shutdown a");
    const b = await inFlight(port, "in flight at shutdown b");
    await new Promise((r) => setTimeout(r, 100));
    const stopped = closing.stop();
    await new Promise((r) => setTimeout(r, 100));
    // Their bodies, and on each connection a request that arrives while the server closes.
    const [answersA, answersB] = await Promise.all([a.finish("/readyz"), b.finish("/healthz")]);
    await stopped;

    expect(answersA.map((x) => x.status)).toEqual([201, 503]);
    expect(answersA[1]!.head).toMatch(/\r\nretry-after: 5(\r\n|$)/i);
    expect(answersA[1]!.head).toMatch(/\r\nconnection: close(\r\n|$)/i);
    expect(answersA[1]!.body).toEqual({
      error: "the server is shutting down; retry later",
      code: "BATCHLOG_SHUTTING_DOWN",
    });
    // Liveness: the process is alive while it drains (a supervisor must not kill it for a 503).
    expect(answersB.map((x) => x.status)).toEqual([201, 200]);
    expect(answersB[1]!.body).toEqual({ status: "ok" });

    const ids = [answersA[0], answersB[0]].map((x) => (x!.body as { ids: number[] }).ids[0]);
    const storage = await openLogStorage({ url: closing.dbUrl });
    try {
      const page = await storage.search({ sources: ["shutdown"] });
      expect(page.entries.map((e) => e.id).sort()).toEqual(ids.sort());
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
