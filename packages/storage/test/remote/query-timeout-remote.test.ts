// queryTimeoutMs on a libSQL server (the in-process reader): the caller stops waiting at the
// deadline, with stopped: false (the server finishes the statement), and the storage reads on.
import { connect, createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryTimeoutError } from "../../src/errors.js";
import { openLogStorage } from "../../src/index.js";
import { SqldServer, skipWithoutSqld } from "../helpers/sqld.js";

const skip = skipWithoutSqld("query-timeout-remote");
const MARKER = "slow-marker-7f3a";
const HOLD_MS = 4000;
const TIMEOUT_MS = 500;

/** A TCP proxy that holds for HOLD_MS every request holding MARKER: a query the server is slow to answer. */
function slowProxy(upstreamPort: number): Promise<{ server: Server; port: number }> {
  const server = createServer((client) => {
    const upstream = connect({ host: "127.0.0.1", port: upstreamPort });
    client.on("data", (chunk) => {
      if (chunk.toString("latin1").includes(MARKER)) setTimeout(() => upstream.write(chunk), HOLD_MS);
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    for (const socket of [client, upstream]) {
      socket.on("error", () => {});
      socket.on("close", () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address !== null ? address.port : 0 });
    }),
  );
}

describe.skipIf(skip)("queryTimeoutMs over a libSQL server", () => {
  let sqld: SqldServer;
  let proxy: { server: Server; port: number };
  beforeAll(async () => {
    sqld = await SqldServer.start();
    proxy = await slowProxy(sqld.port);
  });
  afterAll(async () => {
    proxy.server.close();
    await sqld.stop();
  });

  it("rejects the caller at the deadline with stopped: false, and reads on", async () => {
    const storage = await openLogStorage({
      url: `http://127.0.0.1:${proxy.port}`,
      queryTimeoutMs: TIMEOUT_MS,
    });
    try {
      await storage.store({ message: "hello", fields: { tag: MARKER } });
      const started = performance.now();
      const error = await storage.search({ fields: { tag: MARKER } }).catch((e: unknown) => e);
      const ms = performance.now() - started;
      expect(error).toBeInstanceOf(QueryTimeoutError);
      expect((error as QueryTimeoutError).stopped).toBe(false);
      expect((error as Error).message).not.toMatch(/stopped/);
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(ms).toBeLessThan(HOLD_MS);
      expect((await storage.getRecent(1))[0]?.message).toBe("hello");
    } finally {
      await storage.close();
    }
  });
});
