// A libSQL server that accepts the connection and never answers: the start waits for it (an
// embedded replica's first sync may take minutes, so there is no deadline of our own), but says so.
import { createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { startServer } from "../src/server.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { eventually } from "./helpers/test-server.js";

describe("starting on a database server that does not answer", () => {
  it("Should warn, with the URL's secret hidden, while it waits", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // reads nothing, answers nothing
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const lines: { msg: string; db?: string; waitedSeconds?: number }[] = [];
    const config = loadConfig({
      BATCHLOG_PORT: "0",
      BATCHLOG_DB_URL: `http://127.0.0.1:${port}?authToken=HIDDEN-SECRET`,
      BATCHLOG_LOG_LEVEL: "info",
    });
    const starting = startServer(config, { logger: captureLogger(lines), stillOpeningMs: 200 });
    starting.catch(() => {}); // it fails once the socket is destroyed below
    try {
      const warning = await eventually(
        async () => lines.find((l) => l.msg.startsWith("still opening the database")),
        10_000,
        "a still-opening warning",
      );
      expect(warning.db).toBe(`http://127.0.0.1:${port}?authToken=(hidden)`);
      expect(JSON.stringify(lines)).not.toContain("HIDDEN-SECRET");
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
      await starting.then((server) => server.stop()).catch(() => {});
    }
  });
});
