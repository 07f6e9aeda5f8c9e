// Soak test: runs the compiled demo server for many minutes under mixed traffic and samples what
// could grow without bound (memory, file descriptors, WAL, handles and timers) and what could drift
// (ingest and search latency, event-loop delay), with retention deleting all along.
//
//   pnpm build && pnpm --filter @batchlog/demo soak [-- --minutes 13 --rate 6000 --max-age 2m --out DIR]
//
// The server is `node --max-old-space-size=1024 apps/demo/dist/main.js` on a temp database with
// BATCHLOG_RETENTION_MAX_AGE=--max-age and a 20 s retention interval. This process drives it:
// steady ingest over native JSON, Loki push JSON and OTLP JSON (--rate entries/s in total, split
// 50/25/25), searches (full text, level, fields, three cursor pages, stats, recent), live-tail
// clients that come and go (a third of them slow readers, some resuming with Last-Event-ID, bursts
// that connect and hang up at once), a /metrics scrape every 15 s and a bad request every 2 s.
// Every 10 s it samples the server (RSS, heap, fds, handles, WAL and database size, event-loop delay,
// queue depth) and its own ingest and search latency, and checks that every entry acknowledged
// 40–100 s ago is in the database. Samples go to DIR/samples.jsonl; the summary (first minutes after
// warm-up against the last, per-minute slopes, the integrity checks) is printed at the end. It
// exits 1, listing why, when an acknowledged entry is missing, the rows present are not those
// stored minus those retention deleted, an answer was unexpected, or the server did not exit 0.
// Trends are for a reader to judge: the summary gives them, the verdict does not.
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const argv = process.argv.slice(2).filter((a) => a !== "--"); // pnpm passes a literal "--" through
const { values: args } = parseArgs({
  args: argv,
  options: {
    minutes: { type: "string", default: "13" },
    rate: { type: "string", default: "6000" },
    "max-age": { type: "string", default: "2m" },
    "retention-interval": { type: "string", default: "20s" },
    out: { type: "string" },
    "keep-db": { type: "boolean", default: false },
  },
});

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const durationMs = Number(args.minutes) * 60_000;
const totalRate = Number(args.rate);
const outDir = args.out ?? mkdtempSync(join(tmpdir(), "batchlog-soak-out-"));
mkdirSync(outDir, { recursive: true });
const samplesFile = join(outDir, "samples.jsonl");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const runId = Date.now().toString(36);

// ---------- the server ----------

interface Server {
  child: ChildProcess;
  url: string;
  dbPath: string;
  log: string[];
  exited: Promise<number | null>;
}

async function startServer(dbDir: string): Promise<Server> {
  const dbPath = join(dbDir, "soak.db");
  const child = spawn(process.execPath, ["--max-old-space-size=1024", "apps/demo/dist/main.js"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      BATCHLOG_PORT: "0",
      BATCHLOG_DB_URL: `file:${dbPath}`,
      BATCHLOG_RETENTION_MAX_AGE: args["max-age"],
      BATCHLOG_RETENTION_INTERVAL: args["retention-interval"],
      BATCHLOG_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  let partial = "";
  child.stdout?.on("data", (d: Buffer) => {
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop() ?? "";
    log.push(...lines);
  });
  child.stderr?.on("data", (d: Buffer) => log.push(`stderr: ${d.toString().trim()}`));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  for (let i = 0; i < 600; i++) {
    for (const line of log) {
      const match = /"url":"(http:\/\/[\d.]+:\d+)".*"msg":"batchlog is listening"/.exec(line);
      if (match) return { child, url: match[1] as string, dbPath, log, exited };
    }
    await sleep(50);
  }
  child.kill();
  throw new Error(`server did not start:\n${log.join("\n")}`);
}

// ---------- measurements ----------

/** Latencies (ms) of one kind of call within the current 10 s window, and failures by status. */
class Window {
  values: number[] = [];
  statuses = new Map<string, number>();
  add(ms: number, status: number | string) {
    this.values.push(ms);
    const key = String(status);
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }
  take() {
    const sorted = this.values.sort((a, b) => a - b);
    const q = (p: number) =>
      sorted.length === 0 ? null : round(sorted[Math.floor(p * (sorted.length - 1))]!);
    const out = {
      n: sorted.length,
      p50: q(0.5),
      p99: q(0.99),
      max: q(1),
      statuses: Object.fromEntries(this.statuses),
    };
    this.values = [];
    this.statuses = new Map();
    return out;
  }
}
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

const windows = {
  ingest: new Window(),
  search: new Window(),
  fullText: new Window(),
  stats: new Window(),
  bad: new Window(),
};
const unexpected: string[] = []; // calls answered otherwise than they should have been
const note = (what: string) => {
  if (unexpected.length < 200) unexpected.push(`${new Date().toISOString()} ${what}`);
};

/** Acknowledged entries by source: per request, its timestamp (every entry of it shares one) and count. */
const acked = new Map<string, { at: number; count: number }[]>();
let ackedTotal = 0;
function ack(source: string, at: number, count: number) {
  const list = acked.get(source) ?? [];
  acked.set(source, list);
  list.push({ at, count });
  ackedTotal += count;
}
const ackedBetween = (source: string, from: number, to: number) =>
  (acked.get(source) ?? []).reduce((n, r) => (r.at >= from && r.at < to ? n + r.count : n), 0);

// ---------- traffic ----------

const words = ["payment", "declined", "timeout", "redis", "orders", "checkout", "cache", "retry", "upstream"];
const levels = ["debug", "info", "info", "info", "warn", "error"] as const;
const message = (i: number) =>
  `${pick(["GET", "POST", "PUT"])} /api/${pick(words)}/${i % 1000} ${pick([200, 201, 404, 500])} ${i % 97}ms ${pick(words)} ${pick(words)} run ${runId}`;

let stopping = false;
let url = "";

/** A call timed until its whole body has arrived. */
async function timed(
  kind: Window,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: string } | undefined> {
  const start = performance.now();
  try {
    const res = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(60_000) });
    const body = await res.text();
    kind.add(performance.now() - start, res.status);
    return { status: res.status, body };
  } catch (error) {
    kind.add(performance.now() - start, (error as Error).name);
    note(`${path}: ${(error as Error).message}`);
    return undefined;
  }
}

type Protocol = "native" | "loki" | "otlp";
const skippedTicks: Record<Protocol, number> = { native: 0, loki: 0, otlp: 0 };

function ingestBody(protocol: Protocol, n: number, at: number, seq: number): { path: string; body: string } {
  const source = `soak-${protocol}`;
  if (protocol === "native") {
    const entries = Array.from({ length: n }, (_, i) => ({
      timestamp: new Date(at).toISOString(),
      level: pick(levels),
      source,
      message: message(seq + i),
      fields: { user_id: `u_${(seq + i) % 50}`, duration_ms: (seq + i) % 97, seq: seq + i },
    }));
    return { path: "/api/logs", body: JSON.stringify(entries) };
  }
  const ns = `${BigInt(at) * 1_000_000n}`;
  if (protocol === "loki") {
    const half = Math.ceil(n / 2);
    const streams = [half, n - half].map((count, s) => ({
      stream: { service_name: source, level: s === 0 ? "info" : "error", pod: `pod-${s}` },
      values: Array.from({ length: count }, (_, i) => [ns, message(seq + s * half + i)]),
    }));
    return { path: "/loki/api/v1/push", body: JSON.stringify({ streams }) };
  }
  const logRecords = Array.from({ length: n }, (_, i) => ({
    timeUnixNano: ns,
    severityNumber: pick([5, 9, 9, 13, 17]),
    body: { stringValue: message(seq + i) },
    attributes: [{ key: "user_id", value: { stringValue: `u_${(seq + i) % 50}` } }],
  }));
  const resourceLogs = [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: source } }] },
      scopeLogs: [{ scope: { name: "soak" }, logRecords }],
    },
  ];
  return { path: "/v1/logs", body: JSON.stringify({ resourceLogs }) };
}

/** The newest id a native ingest was answered with: what the context reads look around. */
let newestNativeId: number | undefined;

/** One protocol's steady ingest: `perRequest` entries every `everyMs`, at most 8 requests in flight. */
async function ingestLoop(protocol: Protocol, perRequest: number, everyMs: number) {
  let inFlight = 0;
  let seq = 0;
  let next = performance.now();
  while (!stopping) {
    next += everyMs;
    if (inFlight < 8) {
      inFlight++;
      const at = Date.now();
      const { path, body } = ingestBody(protocol, perRequest, at, seq);
      seq += perRequest;
      void timed(windows.ingest, path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }).then((res) => {
        inFlight--;
        if (res === undefined) return;
        if (res.status >= 200 && res.status < 300) {
          ack(`soak-${protocol}`, at, perRequest);
          if (protocol === "native") newestNativeId = (JSON.parse(res.body) as { ids: number[] }).ids.at(-1);
        } else note(`${protocol} ingest answered ${res.status}`);
      });
    } else skippedTicks[protocol]++; // the server is behind: this client does not pile on more
    await sleep(Math.max(0, next - performance.now()));
  }
}

function searchPath(): { window: Window; path: string; pages?: number; ndjson?: boolean } {
  const range = "from=5m";
  const kind = pick([
    "fullText",
    "phrase",
    "prefix",
    "level",
    "minLevel",
    "field",
    "pages",
    "stats",
    "recent",
    "context",
    "fields",
    "export",
  ]);
  switch (kind) {
    case "fullText":
      return { window: windows.fullText, path: `/api/logs?q=${pick(words)}+${pick(words)}&${range}` };
    case "phrase":
      return { window: windows.fullText, path: `/api/logs?q=%22${pick(words)}%20${pick(words)}%22&${range}` };
    case "prefix":
      return { window: windows.fullText, path: `/api/logs?q=${pick(words).slice(0, 3)}*&${range}&limit=50` };
    case "level":
      return { window: windows.search, path: `/api/logs?level=error,fatal&${range}` };
    case "minLevel":
      return { window: windows.search, path: `/api/logs?minLevel=warn&source=soak-otlp&${range}` };
    case "field":
      return {
        window: windows.search,
        path: pick([
          `/api/logs?field.user_id=u_${Math.floor(Math.random() * 50)}&${range}`,
          `/api/logs?field.user_id!=u_${Math.floor(Math.random() * 50)}&minLevel=warn&${range}`,
        ]),
      };
    case "pages":
      return { window: windows.search, path: `/api/logs?limit=200&${range}`, pages: 3 };
    case "stats":
      return { window: windows.stats, path: `/api/stats?from=${pick(["5m", "15m", "1h"])}` };
    case "context":
      if (newestNativeId === undefined) break;
      return {
        window: windows.search,
        path: `/api/logs/${newestNativeId}/context?before=20&after=20${pick(["", "&source=soak-native"])}`,
      };
    case "fields":
      return { window: windows.search, path: `/api/fields?source=soak-otlp&${range}` };
    case "export":
      return {
        window: windows.search,
        path: `/api/logs/export?minLevel=error&field.user_id!=u_1&${range}&limit=2000`,
        ndjson: true,
      };
  }
  // "recent", and a context before the first native answer
  return { window: windows.search, path: "/api/logs/recent?limit=100" };
}

async function searchLoop() {
  while (!stopping) {
    const { window, path, pages = 1, ndjson = false } = searchPath();
    let cursor: string | null = null;
    for (let page = 0; page < pages; page++) {
      const res = await timed(
        window,
        cursor === null ? path : `${path}&cursor=${encodeURIComponent(cursor)}`,
      );
      if (res === undefined) break;
      if (res.status !== 200) {
        note(`search ${path} answered ${res.status}`);
        break;
      }
      if (ndjson) {
        // a download: every line an entry, the last one whole
        const lines = res.body.split("\n").filter((l) => l.length > 0);
        if (!lines.every((l) => l.startsWith("{") && l.endsWith("}")))
          note(`export ${path}: a line is not an entry`);
        break;
      }
      cursor = (JSON.parse(res.body) as { nextCursor?: string | null }).nextCursor ?? null;
      if (cursor === null) break;
    }
    await sleep(150 + Math.random() * 200);
  }
}

/** Bad requests, each with the status it must get: anything else (above all a 5xx) is a finding. */
const badRequests: { path: string; init?: RequestInit; expect: number }[] = [
  { path: "/api/logs", init: post("application/json", "{not json"), expect: 400 },
  {
    path: "/api/logs",
    init: post("application/json", '[{"message":"ok","source":"soak-bad"},{"level":"loud","message":"x"}]'),
    expect: 400,
  },
  { path: "/api/logs", init: post("image/png", "{}"), expect: 415 },
  { path: "/api/logs", init: post("application/json", `${"[".repeat(400)}${"]".repeat(400)}`), expect: 400 },
  {
    path: "/api/logs",
    init: {
      ...post("application/json", "not gzip"),
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
    },
    expect: 400,
  },
  {
    path: "/loki/api/v1/push",
    init: post("application/json", '{"streams":[{"stream":{},"values":[["x"]]}]}'),
    expect: 400,
  },
  { path: "/v1/logs", init: post("application/json", '{"resourceLogs":5}'), expect: 400 },
  { path: "/api/logs?q=%22unbalanced", expect: 400 },
  { path: "/api/logs?cursor=garbage", expect: 400 },
  { path: "/api/logs?from=2026-02-30", expect: 400 },
  { path: "/api/stats?bucket=1ms&from=1h", expect: 400 },
  { path: "/api/logs/tail?level=nope", expect: 400 },
  { path: "/nowhere", expect: 404 },
  { path: "/api/logs", init: { method: "PUT" }, expect: 405 },
];
function post(contentType: string, body: string): RequestInit {
  return { method: "POST", headers: { "content-type": contentType }, body };
}

async function badRequestLoop() {
  let i = 0;
  while (!stopping) {
    const bad = badRequests[i++ % badRequests.length]!;
    const res = await timed(windows.bad, bad.path, bad.init);
    if (res !== undefined && res.status !== bad.expect)
      note(`bad request ${bad.path} answered ${res.status}, not ${bad.expect}`);
    await sleep(2000);
  }
}

// Live tail: streams that come and go.
const tail = { opened: 0, refused: 0, events: 0, dropped: 0, errors: 0, open: 0, resumed: 0, hungUp: 0 };

/** Hang-ups of the open streams, called at the end so that the final checks run at once. */
const openTails = new Set<() => void>();

function openTail(path: string, options: { slow: boolean; lifetimeMs: number; lastEventId?: string }) {
  return new Promise<string | undefined>((resolve) => {
    let lastId: string | undefined;
    const req = httpRequest(`${url}${path}`, {
      headers: {
        accept: "text/event-stream",
        ...(options.lastEventId && { "last-event-id": options.lastEventId }),
      },
    });
    let finished = false;
    const finish = () => {
      finished = true;
      openTails.delete(finish);
      clearTimeout(timer);
      clearInterval(slowTimer);
      req.destroy();
      resolve(lastId);
    };
    const timer = setTimeout(finish, options.lifetimeMs);
    openTails.add(finish);
    let slowTimer: NodeJS.Timeout | undefined;
    req.on("response", (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        tail.refused++;
        if (res.statusCode !== 503) note(`tail ${path} answered ${res.statusCode}`);
        res.resume();
        return finish();
      }
      tail.opened++;
      tail.open++;
      res.on("close", () => tail.open--);
      let partial = "";
      res.on("data", (d: Buffer) => {
        const events = (partial + d.toString()).split("\n\n");
        partial = events.pop() ?? "";
        for (const event of events) {
          const id = /^id: (\d+)$/m.exec(event)?.[1];
          if (id !== undefined) {
            lastId = id;
            tail.events++;
          }
          const dropped = /"dropped":(\d+)/.exec(event)?.[1];
          if (event.startsWith("event: dropped") && dropped !== undefined) tail.dropped += Number(dropped);
        }
      });
      // A slow reader reads for 1 s in every 10.
      if (options.slow) {
        res.pause();
        slowTimer = setInterval(() => {
          res.resume();
          setTimeout(() => res.pause(), 1000);
        }, 10_000);
      }
    });
    req.on("error", () => {
      if (!finished && !stopping) tail.errors++; // not the hang-ups this client chose
      finish();
    });
    req.end();
  });
}

async function tailClient() {
  while (!stopping) {
    const path = pick([
      "/api/logs/tail",
      "/api/logs/tail?source=soak-loki",
      "/api/logs/tail?minLevel=error",
      `/api/logs/tail?q=${pick(words)}`,
      "/api/logs/tail?field.user_id=u_7",
    ]);
    const slow = Math.random() < 1 / 3;
    const lastId = await openTail(path, { slow, lifetimeMs: 5_000 + Math.random() * 55_000 });
    if (lastId !== undefined && Math.random() < 0.3) {
      tail.resumed++; // an EventSource reconnecting after a network blip
      await openTail(path, { slow: false, lifetimeMs: 5_000, lastEventId: lastId });
    }
    await sleep(Math.random() * 3000);
  }
}

/** Every 30 s, 50 streams that hang up at once (some before their 200: the race on the server side). */
async function hangUpBursts() {
  while (!stopping) {
    await sleep(30_000);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        openTail(`/api/logs/tail?q=${pick(words)}`, { slow: false, lifetimeMs: i % 2 === 0 ? 1 : 200 }),
      ),
    );
    tail.hungUp += 50;
  }
}

async function scrapeLoop() {
  while (!stopping) {
    const res = await fetch(`${url}/metrics`).catch(() => undefined);
    if (res?.status !== 200) note(`/metrics answered ${res?.status}`);
    await res?.arrayBuffer();
    await sleep(15_000);
  }
}

// ---------- sampling ----------

function metric(text: string, name: string, labels = ""): number | null {
  const escaped = `${name}${labels}`.replace(/[{}.]/g, "\\$&");
  const value = new RegExp(`^${escaped} ([\\d.e+-]+|NaN)`, "m").exec(text)?.[1];
  return value === undefined ? null : Number(value);
}

const fileSize = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

const MB = 1024 * 1024;

async function integrity(server: Server, from: number, to: number) {
  const checks: Record<string, { acked: number; present: number }> = {};
  for (const source of acked.keys()) {
    const res = await fetch(`${url}/api/stats?source=${source}&from=${from}&to=${to}&bucket=1h`);
    const body = (await res.json()) as { total: number };
    checks[source] = { acked: ackedBetween(source, from, to), present: body.total };
    if (body.total < checks[source].acked) {
      note(`LOST: ${source} acked ${checks[source].acked} in [${from}, ${to}) but ${body.total} present`);
    }
  }
  void server;
  return checks;
}

async function sample(server: Server, startedAt: number) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const pid = server.child.pid!;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const now = Date.now();
  // 40–100 s ago: long acknowledged, not yet old enough for retention (--max-age ≥ 2m).
  const check = now - startedAt > 100_000 ? await integrity(server, now - 100_000, now - 40_000) : undefined;
  return {
    t: Math.round((now - startedAt) / 1000),
    rssMB: round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024),
    heapUsedMB: round((metric(text, "nodejs_heap_size_used_bytes") ?? 0) / MB),
    heapTotalMB: round((metric(text, "nodejs_heap_size_total_bytes") ?? 0) / MB),
    externalMB: round((metric(text, "nodejs_external_memory_bytes") ?? 0) / MB),
    threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1]),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    handles: metric(text, "nodejs_active_handles_total"),
    timers: metric(text, "nodejs_active_resources", '{type="Timeout"}') ?? 0,
    dbMB: round(fileSize(server.dbPath) / MB),
    walMB: round(fileSize(`${server.dbPath}-wal`) / MB),
    lagP99Ms: round((metric(text, "nodejs_eventloop_lag_p99_seconds") ?? 0) * 1000),
    lagMaxMs: round((metric(text, "nodejs_eventloop_lag_max_seconds") ?? 0) * 1000),
    queueDepth: metric(text, "batchlog_queue_depth"),
    stored: metric(text, "batchlog_entries_stored_total"),
    deleted: metric(text, "batchlog_retention_deleted_entries_total"),
    retentionRuns: metric(text, "batchlog_retention_runs_total", '{result="success"}'),
    retentionFailures: metric(text, "batchlog_retention_runs_total", '{result="failure"}'),
    tailSubscribers: metric(text, "batchlog_tail_subscribers"),
    tail: { ...tail },
    ingest: windows.ingest.take(),
    search: windows.search.take(),
    fullText: windows.fullText.take(),
    stats: windows.stats.take(),
    bad: windows.bad.take(),
    ackedTotal,
    skippedTicks: { ...skippedTicks },
    check,
    load: loadavg()[0],
  };
}
type Sample = Awaited<ReturnType<typeof sample>>;

// ---------- summary ----------

function slopePerMinute(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : round(num / den, 2); // x in minutes
}

function summarize(samples: Sample[]) {
  // Warm-up: until retention has had an interval to delete (max age + one interval), say 3 min.
  const steady = samples.filter((s) => s.t >= 180);
  const third = Math.max(1, Math.floor(steady.length / 3));
  const first = steady.slice(0, third);
  const last = steady.slice(-third);
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? null : round(s[Math.floor(s.length / 2)]!);
  };
  const series: Record<string, (s: Sample) => number | null> = {
    rssMB: (s) => s.rssMB,
    heapUsedMB: (s) => s.heapUsedMB,
    externalMB: (s) => s.externalMB,
    fds: (s) => s.fds,
    handles: (s) => s.handles,
    timers: (s) => s.timers,
    threads: (s) => s.threads,
    dbMB: (s) => s.dbMB,
    walMB: (s) => s.walMB,
    lagP99Ms: (s) => s.lagP99Ms,
    lagMaxMs: (s) => s.lagMaxMs,
    queueDepth: (s) => s.queueDepth,
    ingestP50Ms: (s) => s.ingest.p50,
    ingestP99Ms: (s) => s.ingest.p99,
    searchP50Ms: (s) => s.search.p50,
    searchP99Ms: (s) => s.search.p99,
    fullTextP50Ms: (s) => s.fullText.p50,
    fullTextP99Ms: (s) => s.fullText.p99,
    statsP50Ms: (s) => s.stats.p50,
    statsP99Ms: (s) => s.stats.p99,
  };
  const rows: Record<string, unknown> = {};
  for (const [name, read] of Object.entries(series)) {
    const values = (xs: Sample[]) => xs.map(read).filter((v): v is number => v !== null);
    const all = values(samples);
    rows[name] = {
      firstSteady: median(values(first)),
      lastSteady: median(values(last)),
      max: all.length === 0 ? null : Math.max(...all),
      slopePerMin: slopePerMinute(
        steady.map((s) => [s.t / 60, read(s)] as [number, number]).filter(([, v]) => v !== null) as [
          number,
          number,
        ][],
      ),
    };
  }
  return rows;
}

// ---------- main ----------

async function main() {
  const dbDir = mkdtempSync(join(tmpdir(), "batchlog-soak-db-"));
  const server = await startServer(dbDir);
  url = server.url;
  const startedAt = Date.now();
  process.stdout.write(
    `soak: ${url}, db ${server.dbPath}, samples ${samplesFile}, ${args.minutes} min at ${totalRate}/s\n`,
  );
  // Requests of 100 entries (Loki: two streams of 50): native half the rate, Loki and OTLP a quarter each.
  const loops = [
    ingestLoop("native", 100, (100 * 1000) / (totalRate / 2)),
    ingestLoop("loki", 100, (100 * 1000) / (totalRate / 4)),
    ingestLoop("otlp", 100, (100 * 1000) / (totalRate / 4)),
    searchLoop(),
    searchLoop(),
    badRequestLoop(),
    scrapeLoop(),
    hangUpBursts(),
    ...Array.from({ length: 15 }, () => tailClient()),
  ];
  const samples: Sample[] = [];
  while (Date.now() - startedAt < durationMs) {
    await sleep(10_000);
    const s = await sample(server, startedAt);
    samples.push(s);
    appendFileSync(samplesFile, `${JSON.stringify(s)}\n`);
    process.stdout.write(
      `t=${s.t}s rss=${s.rssMB}MB heap=${s.heapUsedMB}MB fds=${s.fds} handles=${s.handles} timers=${s.timers} ` +
        `db=${s.dbMB}MB wal=${s.walMB}MB lag99=${s.lagP99Ms}ms q=${s.queueDepth} ingest p50/p99=${s.ingest.p50}/${s.ingest.p99}ms ` +
        `(${s.ingest.n}) search p99=${s.search.p99} ft p99=${s.fullText.p99} stats p99=${s.stats.p99} ` +
        `tails=${s.tailSubscribers} deleted=${s.deleted} check=${JSON.stringify(s.check)}\n`,
    );
  }
  stopping = true;
  for (const hangUp of [...openTails]) hangUp();
  await Promise.race([Promise.all(loops), sleep(35_000)]);
  // Everything acknowledged in the last 100 s is present; the database holds what was stored minus
  // what retention deleted (read twice around the count, so that a retention run between is seen).
  await sleep(2000);
  const now = Date.now();
  const finalCheck = await integrity(server, now - 100_000, now);
  // The deleted count moves as each chunk of a retention run commits: count between runs (one
  // every 20 s), retrying for up to a minute; `null` says no quiet moment was found.
  let conservation: Record<string, number | null> | null = null;
  for (let attempt = 0; attempt < 60 && conservation === null; attempt++) {
    if (attempt > 0) await sleep(1000);
    const before = await (await fetch(`${url}/metrics`)).text();
    const count = (await (
      await fetch(`${url}/api/stats?from=${startedAt - 3_600_000}&to=${Date.now() + 60_000}&bucket=1d`)
    ).json()) as { total: number };
    const after = await (await fetch(`${url}/metrics`)).text();
    const deleted = metric(after, "batchlog_retention_deleted_entries_total");
    if (deleted !== metric(before, "batchlog_retention_deleted_entries_total")) continue;
    const stored = metric(after, "batchlog_entries_stored_total") ?? 0;
    conservation = { stored, deleted, present: count.total, storedMinusDeleted: stored - (deleted ?? 0) };
  }
  server.child.kill("SIGTERM");
  const exitCode = await server.exited;
  const warnings = server.log.filter((l) => /"level":(4|5|6)\d/.test(l) || l.startsWith("stderr"));
  const summary = {
    node: process.version,
    minutes: Number(args.minutes),
    rate: totalRate,
    ackedTotal,
    skippedTicks,
    tail,
    finalCheck,
    conservation,
    exitCode,
    serverWarnings: warnings.length,
    serverWarningSamples: warnings.slice(0, 10),
    unexpected: unexpected.slice(0, 40),
    unexpectedCount: unexpected.length,
    series: summarize(samples),
  };
  appendFileSync(join(outDir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (!args["keep-db"]) rmSync(dbDir, { recursive: true, force: true });
  const problems = verdict(summary);
  if (problems.length === 0) process.stdout.write("soak passed\n");
  else {
    process.stderr.write(`soak FAILED:\n${problems.map((p) => `- ${p}`).join("\n")}\n`);
    process.exitCode = 1;
  }
}

/** What makes a soak fail: lost entries, rows unaccounted for, unexpected answers, a bad exit. */
function verdict(summary: {
  finalCheck: Record<string, { acked: number; present: number }>;
  conservation: Record<string, number | null> | null;
  unexpectedCount: number;
  exitCode: number | null;
}): string[] {
  const problems: string[] = [];
  for (const [source, { acked, present }] of Object.entries(summary.finalCheck)) {
    if (present < acked)
      problems.push(`${source}: ${acked} acknowledged in the last 100 s, ${present} present`);
  }
  const c = summary.conservation;
  if (c === null) problems.push("conservation: no moment between retention chunks to count in");
  else if (c.present !== c.storedMinusDeleted) {
    problems.push(`conservation: ${c.present} rows present, stored − deleted = ${c.storedMinusDeleted}`);
  }
  if (summary.unexpectedCount > 0)
    problems.push(`${summary.unexpectedCount} unexpected answers or lost entries`);
  if (summary.exitCode !== 0) problems.push(`the server exited with ${summary.exitCode}`);
  return problems;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
