// Slow and stalled clients on raw sockets: a request that is never finished is cut off with a 408,
// while answers that take long on the server's side (live tail, ?wait=true) are not.
import { connect, type Socket } from "node:net";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSse } from "./helpers/sse.js";
import { postJson, request, startTestServer, type TestServer } from "./helpers/test-server.js";

const REQUEST_TIMEOUT_MS = 1500;
const HEADERS_TIMEOUT_MS = 1000;
/** How long past its limit a connection may stay open (Node checks every second; shared CPUs). */
const SLACK_MS = 4000;

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer({
    BATCHLOG_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    BATCHLOG_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    BATCHLOG_TAIL_HEARTBEAT_MS: "500",
    BATCHLOG_RETRY_INITIAL_DELAY_MS: "20",
    BATCHLOG_RETRY_MAX_DELAY_MS: "200",
  });
  port = Number(new URL(server.url).port);
});
afterAll(() => server.dispose());

interface Trickle {
  /** Resolves with what the server sent and when it closed the connection (ms after opening). */
  closed: Promise<{ received: string; afterMs: number }>;
}

/** Opens a connection, sends `start`, then `drip` every 200 ms until the server closes it. */
function trickle(start: string, drip: string): Trickle {
  const opened = Date.now();
  const socket: Socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString();
  });
  socket.on("connect", () => socket.write(start));
  const dripping = setInterval(() => socket.writable && socket.write(drip), 200);
  const closed = new Promise<{ received: string; afterMs: number }>((resolve) =>
    socket.once("close", () => {
      clearInterval(dripping);
      resolve({ received, afterMs: Date.now() - opened });
    }),
  );
  // never hang the suite: the old server kept such sockets for 60 s (headers) or forever (body)
  setTimeout(() => socket.destroy(), HEADERS_TIMEOUT_MS + REQUEST_TIMEOUT_MS + 2 * SLACK_MS).unref();
  return { closed };
}

function expect408(received: string) {
  expect(received).toMatch(/^HTTP\/1\.1 408 /);
  expect(JSON.parse(received.slice(received.indexOf("\r\n\r\n") + 4))).toEqual({
    error: "the request was not received in time",
    code: "BATCHLOG_REQUEST_TIMEOUT",
  });
}

describe("a client that never finishes its request", () => {
  it("Should get a 408 once BATCHLOG_HEADERS_TIMEOUT_MS has passed without complete headers", async () => {
    const { closed } = trickle("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ", "a");
    const { received, afterMs } = await closed;
    expect408(received);
    expect(afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
    expect(afterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it("Should get a 408 for a connection that sends nothing at all", async () => {
    const { received, afterMs } = await trickle("", "").closed;
    expect408(received);
    expect(afterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it("Should get a 408 once BATCHLOG_REQUEST_TIMEOUT_MS has passed with its body still arriving, and store nothing of it", async () => {
    const before = await server.storage.search({ sources: ["trickled"] });
    const { received, afterMs } = await trickle(
      'POST /api/logs HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n[{"source":"trickled","message":"x"}',
      " ",
    ).closed;
    expect408(received);
    expect(afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(afterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expect((await server.storage.search({ sources: ["trickled"] })).entries).toEqual(before.entries);
    // counted as the 408 it got, not as a client that went away
    const metrics = (await request(server.url, "/metrics")).text;
    expect(metrics).toMatch(
      /^batchlog_http_responses_total\{route="\/api\/logs",method="POST",status="408"\} 1$/m,
    );
    expect(metrics).not.toMatch(/^batchlog_http_requests_aborted_total\{/m);
  });
});

describe("answers that take long on the server's side", () => {
  it("Should keep a live-tail stream open well past the request timeout and keep delivering", async () => {
    const stream = await openSse(`${server.url}/api/logs/tail?source=slow-tail`);
    try {
      expect(stream.status).toBe(200);
      await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS + SLACK_MS));
      expect(
        (await postJson(server.url, "/api/logs", { source: "slow-tail", message: "still here" })).status,
      ).toBe(201);
      await stream.waitFor((events) => events.some((e) => e.data.includes("still here")));
    } finally {
      stream.close();
    }
  });

  it("Should answer a ?wait=true request whose commit comes after the request timeout", async () => {
    // Another connection holds the write lock: the request is received at once, its commit (and
    // so its answer) waits for the lock to go, past the request timeout.
    const locker = createClient({ url: server.dbUrl });
    try {
      const tx = await locker.transaction("write");
      const started = Date.now();
      const answered = postJson(server.url, "/api/logs", { source: "locked-out", message: "committed late" });
      await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS + SLACK_MS));
      await tx.rollback();
      tx.close();
      const answer = await answered;
      expect(answer.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS + SLACK_MS);
      expect((await server.storage.search({ sources: ["locked-out"] })).entries).toHaveLength(1);
    } finally {
      locker.close();
    }
  });
});
