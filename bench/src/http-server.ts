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
import {
  constants,
  type EventLoopUtilization,
  monitorEventLoopDelay,
  type PerformanceEntry,
  PerformanceObserver,
} from "node:perf_hooks";
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

// The server's own view during a load phase: event-loop delay (what /healthz waits behind), CPU
// time of the process (main thread + writer thread), how busy the main thread's event loop was,
// and the main thread's GC pauses (young generation: scavenges; old: mark-compacts).
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
let cpuAtMark = process.cpuUsage();
let markedAt = performance.now();
let eluAtMark: EventLoopUtilization = performance.eventLoopUtilization();
const gcPauses = { minor: [] as number[], major: [] as number[] };
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcPauses.minor.push(entry.duration);
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcPauses.major.push(entry.duration);
  }
});

process.on("message", async (message: { cmd?: string }) => {
  if (message.cmd === "mark") {
    loopDelay.reset();
    loopDelay.enable();
    cpuAtMark = process.cpuUsage();
    markedAt = performance.now();
    eluAtMark = performance.eventLoopUtilization();
    gcPauses.minor = [];
    gcPauses.major = [];
    gcObserver.observe({ entryTypes: ["gc"] });
    process.send?.({ marked: true });
    return;
  }
  if (message.cmd === "report") {
    loopDelay.disable();
    gcObserver.disconnect();
    const cpu = process.cpuUsage(cpuAtMark);
    const elu = performance.eventLoopUtilization(eluAtMark);
    const ms = (ns: number) => ns / 1e6;
    const sum = (pauses: number[]) => pauses.reduce((a, b) => a + b, 0);
    process.send?.({
      report: {
        mainThreadBusyMs: elu.active,
        mainThreadUtilization: elu.utilization,
        scavenges: gcPauses.minor.length,
        scavengeMs: sum(gcPauses.minor),
        markCompacts: gcPauses.major.length,
        markCompactMs: sum(gcPauses.major),
        gcMaxPauseMs: Math.max(0, ...gcPauses.minor, ...gcPauses.major),
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
