import { type ChildProcess, fork } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { EntryPool } from "../fixtures.js";
import { buildShipped, shippedNodeFlags } from "../shipped-build.js";
import { formatRate, summarize } from "../stats.js";
import { emptyOutput, type Suite } from "../suite.js";
import { rateFigure, ratioFigure } from "../timed-runs.js";

const BODY_ENTRIES = 100;
const CONNECTIONS = 64;
const HEALTHZ_P99_TARGET_MS = 20;
const NOOP_PERCENT_TARGET = 50;
const DEMO_DIST = join(import.meta.dirname, "..", "..", "..", "apps", "demo", "dist");

interface Server {
  url: string;
  child: ChildProcess;
}

/**
 * Starts http-server.ts in its own process (the load generator must not share its event loop), as
 * shipped: storage, service and demo compiled by tsc, node with the flags `pnpm demo` uses.
 */
async function startServer(database: string): Promise<Server> {
  const bundle = await buildShipped("http-server.ts", ["packages/storage", "packages/service", "apps/demo"]);
  const child = fork(bundle, [database, DEMO_DIST], {
    execArgv: shippedNodeFlags(),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error("the demo server did not report a URL within 60 s"));
    }, 60_000);
    child.once("message", (message: { url?: string }) => {
      clearTimeout(timer);
      if (message.url === undefined) reject(new Error("unexpected message from the demo server"));
      else resolve({ url: message.url, child });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo server exited with code ${code} before listening`));
    });
  });
}

interface ServerReport {
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  cpuPercentOfOneCore: number;
  /** The main thread's event loop: time not idle, and its share of the phase. */
  mainThreadBusyMs: number;
  mainThreadUtilization: number;
  /** The main thread's GC pauses: young generation (scavenges) and old (mark-compacts). */
  scavenges: number;
  scavengeMs: number;
  markCompacts: number;
  markCompactMs: number;
  gcMaxPauseMs: number;
}

/** Sends a command to the server child and waits for the reply carrying `key`. */
function ask<T>(server: Server, cmd: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message)) return;
      server.child.off("message", onMessage);
      resolve(message[key] as T);
    };
    server.child.on("message", onMessage);
    server.child.send({ cmd });
  });
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.send({ cmd: "stop" });
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}

function post(url: string, body: string, seconds: number, connections = CONNECTIONS, workers = 0) {
  return autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    connections,
    duration: seconds,
    // In a worker thread the load generator leaves this thread free to time the /healthz probe.
    ...(workers > 0 && { workers }),
  });
}

type Result = Awaited<ReturnType<typeof autocannon>>;

function entriesPerSecond(result: Result): number {
  return (result["2xx"] * BODY_ENTRIES) / (result.duration || 1);
}

function checkClean(name: string, result: Result): void {
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(
      `${name}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`,
    );
  }
}

/**
 * Suite 5: autocannon against the demo app on 127.0.0.1. POST /api/logs with 100-entry bodies
 * vs a no-op route on the same server, then /healthz latency while ingestion runs flat out.
 */
export const http: Suite = {
  name: "http",
  title: "HTTP: POST /api/logs vs a no-op route, /healthz under load (autocannon)",
  async run(ctx) {
    const out = emptyOutput();
    const seconds = ctx.quick ? 1 : 5;
    const repeats = 3;
    const path = ctx.temp.path("http");
    let server: Server;
    try {
      server = await startServer(path);
    } catch (error) {
      return { ...out, skipped: `demo app not available: ${(error as Error).message}` };
    }
    const body = JSON.stringify(new EntryPool(BODY_ENTRIES, 99).take(BODY_ENTRIES));
    try {
      ctx.progress(`server at ${server.url}; warm-up`);
      await post(`${server.url}/api/logs`, body, 1, 8);
      await post(`${server.url}/bench/noop`, body, 1, 8);
      const rates = { noop: [] as number[], ingest: [] as number[] };
      const latency = { noop: [] as Result[], ingest: [] as Result[] };
      for (let i = 0; i < repeats; i++) {
        for (const route of ["noop", "ingest"] as const) {
          const result = await post(
            `${server.url}${route === "noop" ? "/bench/noop" : "/api/logs"}`,
            body,
            seconds,
          );
          checkClean(route, result);
          rates[route].push(entriesPerSecond(result));
          latency[route].push(result);
          ctx.progress(
            `${route} run ${i + 1}: ${formatRate(entriesPerSecond(result))} entries, ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
          );
        }
      }
      ctx.progress(`/healthz at 100 req/s while POST /api/logs runs with ${CONNECTIONS} connections`);
      const healthSeconds = ctx.quick ? 3 : 10;
      await ask(server, "mark", "marked");
      const [loaded, health] = await Promise.all([
        post(`${server.url}/api/logs`, body, healthSeconds, CONNECTIONS, 1),
        autocannon({
          url: `${server.url}/healthz`,
          connections: 1,
          overallRate: 100,
          duration: healthSeconds,
        }),
      ]);
      const serverView = await ask<ServerReport>(server, "report", "report");
      const loadAverage = loadavg()[0]!.toFixed(1);
      checkClean("ingest under /healthz probe", loaded);
      checkClean("/healthz", health);

      const noop = rateFigure(rates.noop);
      const ingest = rateFigure(rates.ingest);
      const percent = ratioFigure(rates.ingest, rates.noop, "%", 100);
      const p = (results: Result[], key: "p50" | "p99") => summarize(results.map((r) => r.latency[key]));
      out.figures.noopEntriesPerSecond = noop;
      out.figures.ingestEntriesPerSecond = ingest;
      out.figures.ingestPercentOfNoop = percent;
      for (const route of ["noop", "ingest"] as const) {
        out.figures[`${route}LatencyP50`] = { kind: "rate", unit: "ms", ...p(latency[route], "p50") };
        out.figures[`${route}LatencyP99`] = { kind: "rate", unit: "ms", ...p(latency[route], "p99") };
        out.table.push({
          route:
            route === "noop"
              ? "POST /bench/noop (parse JSON, store nothing)"
              : "POST /api/logs (201 after commit)",
          "entries/s": `${formatRate(rateFigure(rates[route]).mean)} ±${rateFigure(rates[route]).rsdPercent.toFixed(0)}%`,
          "requests/s": Math.round(rateFigure(rates[route]).mean / BODY_ENTRIES),
          "p50 ms": p(latency[route], "p50").mean.toFixed(1),
          "p99 ms": p(latency[route], "p99").mean.toFixed(1),
          runs: repeats,
        });
      }
      out.table.push({
        route: "GET /healthz at 100 req/s during max ingest",
        "entries/s": `${formatRate(entriesPerSecond(loaded))} ingested meanwhile`,
        "requests/s": Math.round(health.requests.average),
        "p50 ms": health.latency.p50.toFixed(1),
        "p99 ms": health.latency.p99.toFixed(1),
        runs: 1,
      });
      out.figures.healthzP50 = {
        kind: "value",
        unit: "ms",
        value: health.latency.p50,
        n: health.requests.total,
      };
      out.figures.healthzP99 = {
        kind: "value",
        unit: "ms",
        value: health.latency.p99,
        n: health.requests.total,
      };
      out.figures.serverLoopDelayP99 = { kind: "value", unit: "ms", value: serverView.loopDelayP99Ms, n: 1 };
      out.figures.serverLoopDelayMax = { kind: "value", unit: "ms", value: serverView.loopDelayMaxMs, n: 1 };
      out.figures.serverCpuPercentOfOneCore = {
        kind: "value",
        unit: "%",
        value: serverView.cpuPercentOfOneCore,
        n: 1,
      };
      const phaseEntries = loaded["2xx"] * BODY_ENTRIES;
      const gcMs = serverView.scavengeMs + serverView.markCompactMs;
      out.figures.mainThreadMicrosPerEntry = {
        kind: "value",
        unit: "µs",
        value: (1000 * serverView.mainThreadBusyMs) / Math.max(1, phaseEntries),
        n: phaseEntries,
      };
      out.figures.mainThreadGcPercent = {
        kind: "value",
        unit: "%",
        value: (100 * gcMs) / Math.max(1, serverView.mainThreadBusyMs),
        n: serverView.scavenges + serverView.markCompacts,
      };
      out.figures.healthzMax = {
        kind: "value",
        unit: "ms",
        value: health.latency.max,
        n: health.requests.total,
      };
      out.targets.push(
        {
          name: "POST /api/logs entries/s vs the no-op route",
          target: `≥ ${NOOP_PERCENT_TARGET}%`,
          actual: `${percent.value.toFixed(0)}%`,
          met: percent.value >= NOOP_PERCENT_TARGET,
        },
        {
          name: "/healthz p99 under max ingest",
          target: `< ${HEALTHZ_P99_TARGET_MS} ms`,
          actual: `${health.latency.p99} ms`,
          met: health.latency.p99 < HEALTHZ_P99_TARGET_MS,
        },
      );
      const storageRate = ctx.state.sustainableRate;
      if (percent.value < NOOP_PERCENT_TARGET) {
        out.notes.push(
          `Why POST /api/logs stays far below the no-op route: each request answers 201 only after its entries' COMMIT, so the route runs at the store's commit throughput (FTS on, synchronous full)${storageRate === undefined ? "" : ` — ${formatRate(storageRate)} in-process in this run's ceiling suite (64 producers × 100-entry bursts), of which HTTP reaches ${((100 * ingest.mean) / storageRate).toFixed(0)}%`} — while fastify parses the same bodies at ${formatRate(noop.mean)} entries/s. 50% of the no-op would need a writer ${((0.5 * noop.mean) / ingest.mean).toFixed(1)}× faster than this one: one SQLite file with an FTS5 index does not write that fast on this machine${capacityClause(ctx.state.parallelWriteCapacityFtsOn, noop.mean)}; ?wait=false (202 at enqueue) is there for shippers that accept the durability window.`,
        );
      }
      out.notes.push(
        `Server during the /healthz phase: event-loop delay p50 ${serverView.loopDelayP50Ms.toFixed(1)} ms, p99 ${serverView.loopDelayP99Ms.toFixed(1)} ms, max ${serverView.loopDelayMaxMs.toFixed(0)} ms; process CPU ${serverView.cpuPercentOfOneCore.toFixed(0)}% of one core (main + writer thread) while autocannon shares the 2 cores; the main thread busy ${(100 * serverView.mainThreadUtilization).toFixed(0)}% of the time, ${out.figures.mainThreadMicrosPerEntry.value.toFixed(1)} µs per entry ingested, of which GC ${out.figures.mainThreadGcPercent.value.toFixed(0)}% (${serverView.scavenges} scavenges, ${serverView.scavengeMs.toFixed(0)} ms; ${serverView.markCompacts} mark-compacts, ${serverView.markCompactMs.toFixed(0)} ms; longest pause ${serverView.gcMaxPauseMs.toFixed(1)} ms).${
          health.latency.p99 < HEALTHZ_P99_TARGET_MS
            ? ""
            : serverView.cpuPercentOfOneCore < 70
              ? ` The server used well under one core, so its stalls are not a saturated main thread: GC pauses (the longest ${serverView.gcMaxPauseMs.toFixed(1)} ms, above) and waiting for a CPU on the shared machine (load average ${loadAverage} during the probe).`
              : " /healthz p99 tracks the event-loop delay: the probe waits behind ingest requests' synchronous work on the main thread (body decode, validation, encoding of 100 entries per request, promise settlement) and GC pauses."
        }`,
      );
      out.notes.push(
        `autocannon 9, ${CONNECTIONS} connections (the ingest load of the /healthz phase from an autocannon worker thread, the probe from the main thread), ${BODY_ENTRIES}-entry JSON bodies (${(body.length / 1024).toFixed(1)} KiB), ${repeats} alternating runs of ${seconds} s per route; the server runs the demo's createApp() with default config (FTS on, synchronous full) in its own process, as shipped (storage, service and demo compiled by tsc; node ${shippedNodeFlags().join(" ")}, as \`pnpm demo\` starts it), autocannon in the bench process: both share the 2 cores.`,
        "Latency percentiles are autocannon's per run, averaged over the runs. The no-op route sits on the same fastify instance and parses the same body; it replies with a count instead of ids. Its figure is a lower bound: autocannon, on the same 2 cores, may be what limits it.",
      );
    } finally {
      await stopServer(server);
      ctx.temp.remove(path);
    }
    return out;
  },
};

/** The anatomy suite's measure of what every core can write, against the target it bounds. */
function capacityClause(capacity: number | undefined, noop: number): string {
  if (capacity === undefined) return "";
  const percent = (100 * capacity) / noop;
  const verdict =
    percent < NOOP_PERCENT_TARGET
      ? ", so no design that writes these entries into SQLite here meets the target"
      : "";
  return `, and the raw driver on every core at once, each thread with its own file, wrote ${formatRate(capacity)} in this run's anatomy suite: ${percent.toFixed(0)}% of the no-op figure${verdict}`;
}
