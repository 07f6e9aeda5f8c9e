/**
 * Throughput and commit latency of the batched storage on each backend, in one run on one machine:
 * a local file (worker-thread writer, WAL, synchronous=FULL), a libSQL server (sqld on 127.0.0.1)
 * over http:// and ws://, and an embedded replica of that server (writes forwarded). Plus the
 * direct baseline (one INSERT per entry) on the same backends, and read latency.
 *
 *   pnpm --filter @batchlog/storage exec tsx --conditions=@batchlog/source scripts/remote-throughput.ts \
 *     [--entries 50000] [--direct 2000] [--rounds 3] [--json results.json]
 *
 * Needs sqld (scripts/fetch-sqld.sh at the repo root). Prints a markdown table.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type LogStorage, type NewLogEntry, openLogStorage } from "../src/index.js";
import { SqldServer, sqldSkipReason } from "../test/helpers/sqld.js";

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "50000" },
    direct: { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
    json: { type: "string" },
    writers: { type: "string", default: "2" },
    // internal: run as one of the concurrent writer processes
    "child-url": { type: "string" },
  },
});
const ENTRIES = Number(values.entries);
const SELF = fileURLToPath(import.meta.url);
const DIRECT_ENTRIES = Number(values.direct);
const ROUNDS = Number(values.rounds);

interface Result {
  mode: string;
  implementation: "batched" | "direct";
  entries: number;
  entriesPerSec: number;
  /** Milliseconds per committed transaction (batched: a batch of up to 1000; direct: one row), p50/p95. */
  commitP50: number;
  commitP95: number;
  /** One store() awaited on an idle storage, p50 (ms). */
  idleStoreP50: number;
  /** search({ limit: 100 }) on the loaded database, p50 (ms). */
  searchP50: number;
  /** Batch retries (transient failures) during the load. */
  retries: number;
  /** store() calls that rejected (direct: any failure; batched: none expected). */
  failed: number;
}

const levels = ["debug", "info", "info", "info", "warn", "error"];
function entry(i: number): NewLogEntry {
  return {
    level: levels[i % levels.length]!,
    source: `api-${i % 8}`,
    message: `GET /v1/orders/${i} 200 in ${i % 97} ms user=${i % 1000} trace=${(i * 2654435761) % 2 ** 32}`,
    fields: { route: "/v1/orders/:id", status: 200, durationMs: i % 97, node: `n${i % 3}` },
  };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(mode: string, storage: LogStorage, implementation: "batched" | "direct", n: number) {
  // warm-up: connections, statement paths, schema (direct: one at a time, as measured below)
  if (implementation === "batched") await storage.storeMany(Array.from({ length: 200 }, (_, i) => entry(i)));
  else for (let i = 0; i < 20; i++) await storage.store(entry(i));
  const before = storage.stats();
  const started = performance.now();
  let failed = 0;
  if (implementation === "batched") {
    // producers push as fast as they can; the queue batches (up to maxBatchSize 1000)
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < n; i += 1000) {
      const chunk = Array.from({ length: Math.min(1000, n - i) }, (_, j) => entry(i + j));
      pending.push(
        storage.storeEach(chunk).then((results) => {
          failed += results.filter((r) => r.status === "rejected").length;
        }),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
  } else {
    // the baseline's caller: one awaited INSERT after another
    for (let i = 0; i < n; i++) await storage.store(entry(i)).catch(() => failed++);
  }
  const elapsed = performance.now() - started;
  const stats = storage.stats();
  const idle: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await storage.store(entry(i));
    idle.push(performance.now() - t);
  }
  const searches: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await storage.search({ limit: 100, minLevel: "info" });
    searches.push(performance.now() - t);
  }
  idle.sort((a, b) => a - b);
  searches.sort((a, b) => a - b);
  const stored = stats.entriesStored - before.entriesStored;
  if (stored + failed !== n) throw new Error(`${mode}: stored ${stored} + failed ${failed} of ${n}`);
  return {
    mode,
    implementation,
    entries: n,
    entriesPerSec: Math.round(n / (elapsed / 1000)),
    commitP50: stats.commitLatencyMs.p50,
    commitP95: stats.commitLatencyMs.p95,
    idleStoreP50: quantile(idle, 0.5),
    searchP50: quantile(searches, 0.5),
    retries: stats.retries - before.retries,
    failed,
  } satisfies Result;
}

async function main(): Promise<void> {
  const skip = sqldSkipReason();
  if (skip !== null) {
    console.error(`remote-throughput: ${skip}`);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), "batchlog-throughput-"));
  const results: Result[] = [];
  let file = 0;
  // A fresh sqld for every run: no run inherits another's data, WAL or replication log (a new
  // replica of a primary that is compacting its log can fail with "snapshot not found").
  const modes: {
    name: string;
    url: (server: SqldServer) => string;
    syncUrl?: (server: SqldServer) => string;
  }[] = [
    { name: "local file", url: () => `file:${join(dir, `local-${++file}.db`)}` },
    { name: "sqld http://", url: (server) => server.httpUrl },
    { name: "sqld ws://", url: (server) => server.wsUrl },
    {
      name: "embedded replica (sync http)",
      url: () => `file:${join(dir, `replica-${++file}.db`)}`,
      syncUrl: (server) => server.httpUrl,
    },
  ];
  try {
    for (const implementation of ["batched", "direct"] as const) {
      for (const mode of modes) {
        const runs: Result[] = [];
        for (let round = 0; round < (implementation === "batched" ? ROUNDS : 1); round++) {
          const server = await SqldServer.start();
          try {
            const storage = await openLogStorage({
              url: mode.url(server),
              implementation,
              ...(mode.syncUrl !== undefined && { syncUrl: mode.syncUrl(server) }),
            });
            try {
              const n = implementation === "batched" ? ENTRIES : DIRECT_ENTRIES;
              runs.push(await measure(mode.name, storage, implementation, n));
            } finally {
              await storage.close();
            }
          } finally {
            await server.dispose();
          }
        }
        // the median round by throughput
        runs.sort((a, b) => a.entriesPerSec - b.entriesPerSec);
        const median = runs[Math.floor(runs.length / 2)]!;
        results.push(median);
        console.error(
          `${implementation} ${mode.name}: ${runs.map((r) => r.entriesPerSec).join(", ")} entries/s (median ${median.entriesPerSec})`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (x: number) => (Number.isNaN(x) ? "–" : x < 10 ? x.toFixed(2) : x.toFixed(1));
  console.log(
    `\n${ENTRIES} entries (batched, median of ${ROUNDS}) / ${DIRECT_ENTRIES} (direct); Node ${process.version}, ${cpus().length} CPUs, sqld on 127.0.0.1, a fresh server per run\n`,
  );
  console.log(
    "| backend | implementation | entries/s | commit p50 / p95 (ms) | idle store() p50 (ms) | search p50 (ms) | retries / failed |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    console.log(
      `| ${r.mode} | ${r.implementation} | ${r.entriesPerSec.toLocaleString("en-US")} | ${f(r.commitP50)} / ${f(r.commitP95)} | ${f(r.idleStoreP50)} | ${f(r.searchP50)} | ${r.retries} / ${r.failed} |`,
    );
  }
  const scaling: { writers: number; entriesPerSec: number }[] = [];
  for (const writers of [1, Number(values.writers)]) scaling.push(await concurrentWriters(writers));
  console.log(
    `\n| writer processes on one sqld (ws://, batched, ${ENTRIES} entries each) | aggregate entries/s |`,
  );
  console.log("| ---: | ---: |");
  for (const r of scaling) console.log(`| ${r.writers} | ${r.entriesPerSec.toLocaleString("en-US")} |`);
  if (values.json !== undefined) {
    writeFileSync(
      values.json,
      `${JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: cpus().length, entries: ENTRIES, results, scaling }, null, 2)}\n`,
    );
  }
}

/** Child mode: store `entries` as fast as possible into `url`, print {entries, ms}. */
async function child(url: string): Promise<void> {
  const storage = await openLogStorage({ url });
  await storage.storeMany(Array.from({ length: 200 }, (_, i) => entry(i)));
  process.stdout.write("ready\n");
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.destroy();
  const started = performance.now();
  const pending: Promise<number[]>[] = [];
  for (let i = 0; i < ENTRIES; i += 1000) {
    pending.push(
      storage.storeMany(Array.from({ length: Math.min(1000, ENTRIES - i) }, (_, j) => entry(i + j))),
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(pending);
  const ms = performance.now() - started;
  await storage.close();
  process.stdout.write(`${JSON.stringify({ entries: ENTRIES, ms })}\n`);
}

/** N writer processes into one sqld over ws:// at once: aggregate entries/s. */
async function concurrentWriters(writers: number): Promise<{ writers: number; entriesPerSec: number }> {
  const server = await SqldServer.start();
  try {
    const setup = await openLogStorage({ url: server.wsUrl }); // migrate once
    await setup.close();
    const children = Array.from({ length: writers }, () =>
      spawn(
        process.execPath,
        [
          "--conditions=@batchlog/source",
          "--import",
          "tsx",
          SELF,
          "--entries",
          String(ENTRIES),
          "--child-url",
          server.wsUrl,
        ],
        { stdio: ["pipe", "pipe", "inherit"] },
      ),
    );
    const outputs = children.map((c) => {
      let out = "";
      c.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      return {
        ready: new Promise<void>((resolve) => c.stdout.on("data", () => out.includes("ready") && resolve())),
        done: new Promise<string>((resolve, reject) =>
          c.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}`)))),
        ),
      };
    });
    await Promise.all(outputs.map((o) => o.ready));
    const started = performance.now();
    for (const c of children) c.stdin.end("go\n");
    await Promise.all(outputs.map((o) => o.done));
    const ms = performance.now() - started;
    return { writers, entriesPerSec: Math.round((writers * ENTRIES) / (ms / 1000)) };
  } finally {
    await server.dispose();
  }
}

if (values["child-url"] !== undefined) await child(values["child-url"]);
else await main();
