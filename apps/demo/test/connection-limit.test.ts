// BATCHLOG_MAX_CONNECTIONS: past the cap a new connection is closed as it is accepted, without
// an answer; it is counted and logged (once a minute), and the connections already open, and new
// ones once some close, are served as before.
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureLogger } from "./helpers/capture-logger.js";
import { request, startTestServer, type TestServer } from "./helpers/test-server.js";

interface Line {
  level: number;
  msg: string;
  maxConnections?: number;
}

const lines: Line[] = [];
let server: TestServer;
let port: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  const logger = captureLogger(lines);
  server = await startTestServer(
    { BATCHLOG_MAX_CONNECTIONS: "3", BATCHLOG_TAIL_MAX_CLIENTS: "1" },
    { logger },
  );
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await server.dispose();
});

/** Opens a keep-alive connection and sends GET /healthz; resolves with what came back before it closed or answered. */
function probe(): Promise<{ socket: Socket; answer: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    let answer = "";
    socket.on("error", () => {}); // a reset is an expected answer here
    socket.on("connect", () => socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    socket.on("data", (chunk) => {
      answer += chunk.toString();
      if (answer.includes("\r\n\r\n")) resolve({ socket, answer, closed: false });
    });
    socket.on("close", () => resolve({ socket, answer, closed: true }));
  });
}

const metricValue = async (name: string) => {
  const text = await server.metrics.render();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
};

const dropWarnings = () => lines.filter((l) => l.level === 40 && /maxConnections/.test(l.msg));

describe("maxConnections", () => {
  it("Should close a connection past the cap unanswered, count and log it, and keep serving the open ones", async () => {
    const open = await Promise.all([probe(), probe(), probe()]);
    for (const { answer, closed } of open) {
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      expect(closed).toBe(false);
    }
    expect(await metricValue("batchlog_http_connections")).toBe(3);

    const refused = await probe();
    expect(refused).toMatchObject({ answer: "", closed: true });
    const again = await probe();
    expect(again).toMatchObject({ answer: "", closed: true });
    expect(await metricValue("batchlog_http_connections_dropped_total")).toBe(2);
    // logged once, not once per connection
    expect(dropWarnings()).toHaveLength(1);
    expect(dropWarnings()[0]?.maxConnections).toBe(3);

    // the connections already open still get answers
    const first = open[0]!.socket;
    const answered = new Promise<string>((resolve) =>
      first.once("data", (chunk) => resolve(chunk.toString())),
    );
    first.write("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    expect(await answered).toMatch(/^HTTP\/1\.1 200/);
  });

  it("Should accept new connections again once open ones close", async () => {
    for (const socket of sockets) socket.destroy();
    const deadline = Date.now() + 5000;
    while ((await metricValue("batchlog_http_connections")) !== 0 && Date.now() < deadline) await sleep(20);
    expect(await metricValue("batchlog_http_connections")).toBe(0);
    const res = await request(server.url, "/healthz");
    expect(res.status).toBe(200);
  });
});
