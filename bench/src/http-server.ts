/**
 * Child process for the HTTP suite: the demo app built by its own factory (app.ts, wired as its
 * server.ts does) plus one no-op route on the same fastify instance, listening on 127.0.0.1 on a
 * free port. Reports its URL over IPC; a "stop" message shuts it down gracefully. The demo is
 * loaded from its compiled dist/ (as shipped; the suite bundles this script with esbuild) or from
 * its sources (through tsx).
 *
 *   node --max-old-space-size=1024 <bundle> <database path> apps/demo/dist
 *   node --conditions=@batchlog/source --import tsx src/http-server.ts <database path>
 */
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { openLogStorage } from "@batchlog/storage";

interface DemoApp {
  post(path: string, handler: (request: { body: unknown }, reply: DemoReply) => Promise<unknown>): void;
  listen(options: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
}
interface DemoReply {
  code(status: number): DemoReply;
  send(body: unknown): DemoReply;
}

// Loaded at run time and typed here: the demo is an app, not a library with exports, and the
// bench's typecheck should not depend on the state of the demo's and the service's sources.
const [database, demoDir = join(import.meta.dirname, "..", "..", "apps", "demo", "src")] =
  process.argv.slice(2);
const extension = demoDir.endsWith("src") ? ".ts" : ".js";
const load = (name: string) => import(pathToFileURL(join(demoDir, name + extension)).href);
const servicePackage: string = "@batchlog/service";
const { createLogService } = await import(servicePackage);

if (database === undefined) throw new Error("usage: http-server.ts <database path> [demo dist or src dir]");
const { createApp, loadConfig } = await load("app");
const { createLogger } = await load("server");
const { createMetrics } = await load("metrics");

const config = loadConfig(
  {
    BATCHLOG_HOST: "127.0.0.1",
    BATCHLOG_PORT: "0",
    BATCHLOG_DB_URL: `file:${database}`,
    BATCHLOG_LOG_LEVEL: "warn",
    BATCHLOG_STATS_INTERVAL_MS: "0",
  },
  {},
);
const logger = createLogger(config);
const storage = await openLogStorage({ ...config.storage, logger: logger.child({ component: "storage" }) });
const service = createLogService({ storage, maxBodyBytes: config.bodyLimitBytes, logger });
const metrics = createMetrics(storage, service);
const app: DemoApp = createApp({ config, storage, service, logger, metrics });
// The framework's own ceiling for the same request: fastify parses the JSON body, nothing is stored.
app.post("/bench/noop", async (request, reply) =>
  reply.code(201).send({ accepted: Array.isArray(request.body) ? request.body.length : 1 }),
);
const url = await app.listen({ host: "127.0.0.1", port: 0 });
process.send?.({ url });

// The server's own view during a load phase: event-loop delay (what /healthz waits behind) and
// CPU time of the process (main thread + writer thread).
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
let cpuAtMark = process.cpuUsage();
let markedAt = performance.now();

process.on("message", async (message: { cmd?: string }) => {
  if (message.cmd === "mark") {
    loopDelay.reset();
    loopDelay.enable();
    cpuAtMark = process.cpuUsage();
    markedAt = performance.now();
    process.send?.({ marked: true });
    return;
  }
  if (message.cmd === "report") {
    loopDelay.disable();
    const cpu = process.cpuUsage(cpuAtMark);
    const ms = (ns: number) => ns / 1e6;
    process.send?.({
      report: {
        loopDelayP50Ms: ms(loopDelay.percentile(50)),
        loopDelayP99Ms: ms(loopDelay.percentile(99)),
        loopDelayMaxMs: ms(loopDelay.max),
        cpuPercentOfOneCore: ((cpu.user + cpu.system) / 1000 / (performance.now() - markedAt)) * 100,
      },
    });
    return;
  }
  if (message.cmd !== "stop") return;
  await app.close();
  await service.close();
  metrics.close?.();
  await storage.close();
  process.exit(0);
});
process.on("disconnect", () => process.exit(0));
