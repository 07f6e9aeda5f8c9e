// What an operator's review of the running server found wrong: wrong methods on known paths,
// the shape of every error answer, and shutdown answers.
import { connect } from "node:net";
import { openLogStorage } from "@batchlog/storage";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogThrottle } from "../src/log-throttle.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { eventually, postJson, request, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(() => server.dispose());

describe("a wrong method on a known path", () => {
  it.each([
    ["PUT", "/api/logs", "DELETE, GET, HEAD, POST"],
    ["DELETE", "/api/logs/recent", "GET, HEAD"],
    ["OPTIONS", "/api/logs", "DELETE, GET, HEAD, POST"],
    ["POST", "/healthz", "GET, HEAD"],
    ["GET", "/loki/api/v1/push", "POST"],
    ["GET", "/v1/logs?x=1", "POST"],
    ["POST", "/metrics", "GET, HEAD"],
    // A HEAD of the live tail would open a stream that never ends (uptime checkers send HEAD).
    ["HEAD", "/api/logs/tail", "GET"],
    // a parametric path: any id
    ["DELETE", "/api/logs/42/context", "GET, HEAD"],
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
    // a parametric route covers its own shape only
    expect((await request(base, "/api/logs/42/context/more", { method: "PUT" })).status).toBe(404);
  });
});

interface RawAnswer {
  status: number;
  head: string;
  body: unknown;
}

/**
 * A request cut in two on its own connection: `head` is sent now, `rest` by `finish`, which resolves
 * with the answer once the server has closed the connection.
 */
async function splitRequest(port: number, head: string, rest: string) {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {}); // a reset after the answer: what was received is what counts
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString();
  });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(head);
  return {
    async finish(): Promise<RawAnswer[]> {
      socket.write(rest);
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

/** A POST in flight: its headers sent, its body held back. */
function postInFlight(port: number, message: string) {
  const body = JSON.stringify({ message, source: "shutdown" });
  return splitRequest(
    port,
    `POST /api/logs HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
    body,
  );
}

/** A GET whose headers are not complete yet: it arrives once `finish` ends them. */
function getArrivingLater(port: number, path: string) {
  return splitRequest(port, `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n`, "\r\n");
}

const during = (stop: () => Promise<unknown>) => ({
  async run<T>(finish: () => Promise<T>): Promise<T> {
    await new Promise((r) => setTimeout(r, 100));
    const stopped = stop();
    await new Promise((r) => setTimeout(r, 100));
    const result = await Promise.race([
      finish(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("connection still open after 5 s")), 5000),
      ),
    ]);
    await stopped;
    return result;
  },
});

describe("requests at shutdown", () => {
  it("Should answer a request in flight with Connection: close, so that a keep-alive client cannot hold the shutdown", async () => {
    const server = await startTestServer();
    const port = Number(new URL(server.url).port);
    const started = performance.now();
    try {
      const client = await postInFlight(port, "in flight at shutdown");
      // the body arrives once the server is closing; then the client keeps its connection open,
      // as every HTTP client pool does
      const answers = await during(() => server.stop()).run(() => client.finish());
      expect(answers.map((a) => a.status)).toEqual([201]);
      expect(answers[0]!.head).toMatch(/\r\nconnection: close(\r\n|$)/i);
      expect(performance.now() - started).toBeLessThan(5000);
      const id = (answers[0]!.body as { ids: number[] }).ids[0];
      const storage = await openLogStorage({ url: server.dbUrl });
      try {
        expect((await storage.search({ sources: ["shutdown"] })).entries.map((e) => e.id)).toEqual([id]);
      } finally {
        await storage.close();
      }
    } finally {
      await server.dispose();
    }
  });

  it("Should refuse a request that arrives while closing with the usual JSON error and Retry-After, and keep /healthz live", async () => {
    const server = await startTestServer();
    const port = Number(new URL(server.url).port);
    try {
      const ready = await getArrivingLater(port, "/readyz");
      const live = await getArrivingLater(port, "/healthz");
      const [readyAnswers, liveAnswers] = await during(() => server.stop()).run(() =>
        Promise.all([ready.finish(), live.finish()]),
      );
      expect(readyAnswers.map((a) => a.status)).toEqual([503]);
      expect(readyAnswers[0]!.head).toMatch(/\r\nretry-after: 5(\r\n|$)/i);
      expect(readyAnswers[0]!.body).toEqual({
        error: "the server is shutting down; retry later",
        code: "BATCHLOG_SHUTTING_DOWN",
      });
      // Liveness: the process is alive while it drains (a supervisor must not kill it for a 503).
      expect(liveAnswers.map((a) => a.status)).toEqual([200]);
      expect(liveAnswers[0]!.body).toEqual({ status: "ok" });
    } finally {
      await server.dispose();
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
    const logger = captureLogger(lines);
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

describe("a client that stops sending at shutdown", () => {
  it("Should be cut off once the storage has closed, not hold the shutdown until its timeout", async () => {
    const server = await startTestServer();
    const port = Number(new URL(server.url).port);
    // Headers and part of the body, then nothing: a stalled upload (or a slowloris).
    const stalled = await splitRequest(
      port,
      'POST /api/logs HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"mess',
      "",
    );
    try {
      await new Promise((r) => setTimeout(r, 100));
      const started = performance.now();
      const stopped = await Promise.race([
        server.stop().then(() => "stopped"),
        new Promise((r) => setTimeout(() => r("still stopping after 8 s"), 8000)),
      ]);
      expect(stopped).toBe("stopped");
      expect(performance.now() - started).toBeLessThan(5000);
      await stalled.finish().catch(() => []); // the server closed the connection
    } finally {
      await server.dispose();
    }
  });
});

describe("shutdown on a failing database", () => {
  it("Should answer the requests in flight and stop within the drain timeouts, not wait out the write timeout", async () => {
    const server = await startTestServer({
      BATCHLOG_BUSY_TIMEOUT_MS: "0",
      BATCHLOG_RETRY_INITIAL_DELAY_MS: "20",
      BATCHLOG_RETRY_MAX_DELAY_MS: "100",
      BATCHLOG_DRAIN_TIMEOUT_MS: "1000",
      BATCHLOG_WRITE_TIMEOUT_MS: "30000",
    });
    const locker = createClient({ url: server.dbUrl });
    const tx = await locker.transaction("write"); // another process holds the write lock throughout
    try {
      const answer = postJson(server.url, "/api/logs", { message: "waits for a commit that cannot happen" });
      // the writer is failing (readiness waits BATCHLOG_READY_FAILURE_GRACE_MS before it says so)
      await eventually(async () =>
        (await request<{ consecutiveFailures: number }>(server.url, "/readyz")).body.consecutiveFailures > 0
          ? true
          : undefined,
      );
      const started = performance.now();
      await server.stop();
      const seconds = (performance.now() - started) / 1000;
      expect((await answer).status).toBe(503);
      // a second for the requests to reach the queue, then the storage's drain timeout: about 2 s, not 30
      expect(seconds).toBeLessThan(8);
    } finally {
      await tx.rollback().catch(() => {});
      tx.close();
      locker.close();
      await server.dispose();
    }
  });
});

describe("batchlog_ingest_to_commit_seconds", () => {
  it("Should time only requests answered after their commit, not a ?wait=false 202 answered at enqueue", async () => {
    const fresh = await startTestServer();
    try {
      const series = async (name: string) => {
        const { text } = await request(fresh.url, "/metrics");
        const line = text.split("\n").find((l) => l.startsWith(`${name} `));
        return line === undefined ? undefined : Number(line.split(" ").pop());
      };
      expect((await postJson(fresh.url, "/api/logs?wait=false", { message: "queued" })).status).toBe(202);
      expect((await postJson(fresh.url, "/api/logs?wait=false", { message: "queued" })).status).toBe(202);
      expect(await series('batchlog_ingest_entries_total{route="/api/logs",status="202"}')).toBe(2);
      expect(await series('batchlog_ingest_to_commit_seconds_count{route="/api/logs"}')).toBeUndefined();
      expect((await postJson(fresh.url, "/api/logs", { message: "committed" })).status).toBe(201);
      expect(await series('batchlog_ingest_to_commit_seconds_count{route="/api/logs"}')).toBe(1);
    } finally {
      await fresh.dispose();
    }
  });
});

describe("malformed HTTP", () => {
  it.each([
    [
      "a bad header line",
      "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nbad header\r\n\r\n",
      400,
      "malformed HTTP request",
      "BATCHLOG_BAD_REQUEST",
    ],
    [
      "a bad Content-Length",
      "POST /api/logs HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: abc\r\n\r\n",
      400,
      "malformed HTTP request",
      "BATCHLOG_BAD_REQUEST",
    ],
    [
      "headers over the limit",
      `GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx: ${"a".repeat(20_000)}\r\n\r\n`,
      431,
      "request headers too large",
      "BATCHLOG_HEADERS_TOO_LARGE",
    ],
  ])("Should answer %s in the usual JSON error shape", async (_what, raw, status, error, code) => {
    const port = Number(new URL(base).port);
    const client = await splitRequest(port, raw, "");
    const answers = await client.finish();
    expect(answers.map((a) => a.status)).toEqual([status]);
    expect(answers[0]!.body).toEqual({ error, code });
  });
});

describe("the 401's WWW-Authenticate header", () => {
  it('Should say error="invalid_token" when the token given is wrong (RFC 6750), and no error when none was given', async () => {
    const guarded = await startTestServer({ BATCHLOG_TOKEN: "s3cret" });
    try {
      const none = await request(guarded.url, "/metrics");
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toBe('Bearer realm="batchlog"');
      const wrong = await request(guarded.url, "/metrics", { token: "guess" });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("www-authenticate")).toBe('Bearer realm="batchlog", error="invalid_token"');
      // and a wrong method on a known path says 401, not 405, until the token is right
      expect((await request(guarded.url, "/api/logs", { method: "PUT" })).status).toBe(401);
      expect((await request(guarded.url, "/api/logs", { method: "PUT", token: "s3cret" })).status).toBe(405);
    } finally {
      await guarded.dispose();
    }
  });
});
