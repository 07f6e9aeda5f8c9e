// Live-tail streams that come and go for weeks (browsers, curl -N, reconnecting EventSources) must
// leave nothing behind: no subscriber, no commit listener, no socket, no timer, no heap.
import { request as httpRequest } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, postJson, startTestServer, type TestServer } from "./helpers/test-server.js";

// A full GC on demand: a new context created after the flag is set gets `gc`.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

type Hangup = "after-first-event" | "before-answer" | "while-paused";

/** Opens one stream on its own connection and hangs up as `when` says. */
function churn(url: string, path: string, when: Hangup, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(`${url}${path}`, {
      agent: false,
      headers: { accept: "text/event-stream", ...headers },
    });
    const done = () => {
      req.destroy();
      resolve();
    };
    req.on("error", done);
    if (when === "before-answer") setImmediate(done);
    req.on("response", (res) => {
      if (when === "while-paused") {
        res.pause(); // never read: the server's writes back up, it pauses the subscription
        setTimeout(done, 50);
      } else res.once("data", done);
    });
    req.end();
  });
}

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().heapUsed;
}

describe("live tail under churn", () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.dispose());

  it("Should leave no subscriber, socket, timer or heap behind after 1,000 streams opened and closed", async () => {
    server = await startTestServer({ BATCHLOG_FULL_TEXT: "true", BATCHLOG_TAIL_HEARTBEAT_MS: "60000" });
    const { url } = server;
    const filler = "x".repeat(2000);
    // Entries committed all along (about 2,000 a second), so streams have something to deliver and
    // slow ones back up; the newest id is where a resuming client picks up.
    let feeding = true;
    let newestId = 0;
    const feeder = (async () => {
      for (let i = 0; feeding; i++) {
        const res = await postJson(
          url,
          "/api/logs",
          Array.from({ length: 50 }, (_, j) => ({ message: `churn ${i} ${j} ${filler}` })),
        );
        newestId = res.body.ids?.at(-1) ?? newestId;
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const kinds: [string, Hangup, boolean?][] = [
      ["/api/logs/tail", "after-first-event"],
      ["/api/logs/tail?q=churn", "before-answer"],
      ["/api/logs/tail", "while-paused"],
      ["/api/logs/tail?minLevel=info", "after-first-event", true], // an EventSource resuming
    ];
    const round = async (n: number) => {
      for (let i = 0; i < n; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, j) => {
            const [path, when, resumes] = kinds[(i + j) % kinds.length]!;
            const headers: Record<string, string> = resumes
              ? { "last-event-id": String(Math.max(0, newestId - 200)) }
              : {};
            return churn(url, path, when, headers);
          }),
        );
      }
      await eventually(
        async () => (server!.service.stats().tailSubscribers === 0 ? true : undefined),
        10_000,
        "no subscriber",
      );
    };
    const handles = () => process.getActiveResourcesInfo().length;
    await round(100); // warm-up: JIT, pools, fastify's caches
    const before = { heap: await settledHeap(), resources: handles() };
    await round(1000);
    feeding = false;
    await feeder;
    const connections = await new Promise<number>((resolve, reject) =>
      server!.fastify.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
    const after = { heap: await settledHeap(), resources: handles() };
    expect(server.service.stats().tailSubscribers).toBe(0);
    // nothing still counts against BATCHLOG_TAIL_MAX_CLIENTS (100): a new stream is let in
    const fresh = new AbortController();
    const res = await fetch(`${url}/api/logs/tail`, { signal: fresh.signal });
    fresh.abort();
    expect(res.status).toBe(200);
    expect(connections).toBeLessThanOrEqual(1); // the feeder's keep-alive connection at most
    expect(after.resources).toBeLessThanOrEqual(before.resources + 5);
    // 1,000 streams: a leak of even 5 KB each would be 5 MB
    expect(after.heap - before.heap).toBeLessThan(4 * 1024 * 1024);
  });
});
