// A live-tail client that stops reading: the server pauses its subscription on backpressure, keeps
// at most BATCHLOG_TAIL_MAX_BUFFERED entries for it, and tells it how many it dropped.
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { eventually, postJson, startTestServer } from "./helpers/test-server.js";

describe("GET /api/logs/tail with a client that does not read", () => {
  it("Should bound the buffer, drop the oldest entries and report them in a dropped event", async () => {
    const server = await startTestServer({ BATCHLOG_TAIL_MAX_BUFFERED: "20", BATCHLOG_FULL_TEXT: "false" });
    const { port } = new URL(server.url);
    const socket = connect(Number(port), "127.0.0.1");
    let received = "";
    try {
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(
        "GET /api/logs/tail?source=slow HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
      );
      await eventually(async () => (server.service.stats().tailSubscribers === 1 ? true : undefined));
      socket.pause(); // stop reading: kernel buffers fill, then the server's writes report backpressure
      const message = "x".repeat(60_000);
      for (let i = 0; i < 12; i++) {
        const res = await postJson(
          server.url,
          "/api/logs",
          Array.from({ length: 25 }, (_, j) => ({ source: "slow", message: `${i}-${j} ${message}` })),
        );
        expect(res.status).toBe(201);
      }
      await eventually(
        async () => (server.service.stats().tailDropped > 0 ? true : undefined),
        10_000,
        "drops",
      );
      socket.on("data", (d: Buffer) => {
        received += d.toString("latin1");
      });
      socket.resume();
      await eventually(
        async () => (/event: dropped\ndata: \{"dropped":\d+\}/.test(received) ? true : undefined),
        10_000,
        "dropped event",
      );
      const count = () => ({
        delivered: received.match(/^data: \{"id"/gm)?.length ?? 0,
        dropped: [...received.matchAll(/"dropped":(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0),
      });
      expect(count().dropped).toBeGreaterThan(0);
      // Every entry is either delivered or counted as dropped; memory never held more than the bound.
      await eventually(
        async () => {
          const { delivered, dropped } = count();
          return delivered + dropped === 300 ? true : undefined;
        },
        10_000,
        `delivered + dropped to reach 300 (${JSON.stringify(count())})`,
      );
      expect(count().delivered).toBeLessThan(300);
    } finally {
      socket.destroy();
      await server.dispose();
    }
  });

  it("Should hold a slice, not a whole delivery, in the socket of each client that stopped reading", async () => {
    const server = await startTestServer({ BATCHLOG_FULL_TEXT: "false" });
    // the server side of each tail response, to read what it holds unsent
    const responses: import("node:http").ServerResponse[] = [];
    server.fastify.server.on("request", (req, res) => {
      if (req.url?.startsWith("/api/logs/tail")) responses.push(res);
    });
    const { port } = new URL(server.url);
    const sockets = Array.from({ length: 4 }, () => connect(Number(port), "127.0.0.1"));
    try {
      for (const socket of sockets) {
        await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
        socket.write("GET /api/logs/tail?source=stall HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        socket.pause();
      }
      await eventually(async () => (server.service.stats().tailSubscribers === 4 ? true : undefined));
      // 300 entries of 30 KB in one request: one delivery of ~9 MB to every stream
      const message = "y".repeat(30_000);
      const res = await postJson(
        server.url,
        "/api/logs",
        Array.from({ length: 300 }, (_, i) => ({ source: "stall", message: `${i} ${message}` })),
      );
      expect(res.status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(responses).toHaveLength(4);
      for (const response of responses) expect(response.writableLength).toBeLessThan(1024 * 1024);
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.dispose();
    }
  });

  it("Should close the stream of a client that reads nothing while entries wait, and free its slot", async () => {
    const server = await startTestServer({
      BATCHLOG_FULL_TEXT: "false",
      BATCHLOG_TAIL_STALL_TIMEOUT_MS: "500",
      BATCHLOG_TAIL_MAX_CLIENTS: "2",
    });
    const { port } = new URL(server.url);
    const open = (source: string) => {
      const socket = connect(Number(port), "127.0.0.1");
      let closed = false;
      socket.on("close", () => {
        closed = true;
      });
      socket.write(`GET /api/logs/tail?source=${source} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      socket.pause(); // reads nothing from here on
      return { socket, closed: () => closed };
    };
    const stalled = open("stall");
    const idle = open("quiet"); // reads nothing too, but nothing is sent to it past the heartbeat
    try {
      await eventually(async () => (server.service.stats().tailSubscribers === 2 ? true : undefined));
      const message = "z".repeat(30_000);
      const res = await postJson(
        server.url,
        "/api/logs",
        Array.from({ length: 300 }, (_, i) => ({ source: "stall", message: `${i} ${message}` })),
      );
      expect(res.status).toBe(201);
      await eventually(
        async () => (server.service.stats().tailSubscribers === 1 ? true : undefined),
        10_000,
        "the stalled stream to end",
      );
      // a paused socket sees the server's close only once it reads again
      stalled.socket.resume();
      await eventually(async () => (stalled.closed() ? true : undefined), 10_000, "the socket to close");
      // the idle one is not stalled: nothing waits for its socket
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(idle.closed()).toBe(false);
      // the freed slot takes a new stream (the cap is 2)
      const again = await fetch(`${server.url}/api/logs/tail?source=stall`);
      expect(again.status).toBe(200);
      await again.body?.cancel();
    } finally {
      stalled.socket.destroy();
      idle.socket.destroy();
      await server.dispose();
    }
  });
});
