/**
 * Runs the benchmark suites whose name contains one of the argv filters (all when none), prints a
 * progress line and a table per suite, writes bench/results/latest.{json,md} and SVG charts.
 *
 *   pnpm bench                 full run (~10 min)
 *   pnpm bench --quick         same suites, smaller sizes (< 2 min)
 *   pnpm bench --quick sweep   only suites whose name contains "sweep"
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { TempDatabases } from "./fixtures.js";
import { describeMachine } from "./report/machine.js";
import { renderMarkdown } from "./report/markdown.js";
import { type SuiteRecord, toRecord, writeResults } from "./report/results.js";
import type { Chart, RunState, Suite } from "./suite.js";
import { anatomy } from "./suites/anatomy.js";
import { ceiling } from "./suites/ceiling.js";
import { checkpointer } from "./suites/checkpointer.js";
import { http } from "./suites/http.js";
import { memory } from "./suites/memory.js";
import { oldVsNew } from "./suites/old-vs-new.js";
import { reads } from "./suites/reads.js";
import { sweep } from "./suites/sweep.js";

const SUITES: Suite[] = [oldVsNew, ceiling, anatomy, checkpointer, sweep, reads, http, memory];

function usage(): string {
  return [
    "usage: pnpm bench [--quick] [suite-name-filter ...]",
    "",
    "suites:",
    ...SUITES.map((s) => `  ${s.name.padEnd(12)} ${s.title}`),
  ].join("\n");
}

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== "--");
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage());
    return 0;
  }
  const quick = args.includes("--quick");
  const filters = args.filter((a) => !a.startsWith("-"));
  const unknown = args.filter((a) => a.startsWith("-") && a !== "--quick");
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown.join(", ")}\n\n${usage()}`);
    return 2;
  }
  const selected = SUITES.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
  if (selected.length === 0) {
    console.error(`no suite matches ${filters.join(", ")}\n\n${usage()}`);
    return 2;
  }

  const machine = describeMachine();
  const startedAt = new Date().toISOString();
  const started = performance.now();
  console.log(
    `batchlog bench (${quick ? "quick" : "full"}): ${selected.map((s) => s.name).join(", ")}\n` +
      `${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGiB} GiB, Node ${machine.node}, ` +
      `load ${machine.loadAverageAtStart.join(" ")} (shared machine: figures are noisy, compare ratios)`,
  );

  const temp = new TempDatabases();
  const state: RunState = {};
  const records: SuiteRecord[] = [];
  const charts: Chart[] = [];
  for (const [index, suite] of selected.entries()) {
    const prefix = `[${index + 1}/${selected.length} ${suite.name}]`;
    console.log(`\n${prefix} ${suite.title}`);
    const suiteStarted = performance.now();
    const progress = (message: string) => {
      const elapsed = ((performance.now() - suiteStarted) / 1000).toFixed(1);
      console.log(`${prefix} +${elapsed}s ${message}`);
    };
    let record: SuiteRecord;
    try {
      const output = await suite.run({ quick, temp, state, progress });
      record = toRecord(suite.name, suite.title, performance.now() - suiteStarted, output);
      charts.push(...(output.charts ?? []));
    } catch (error) {
      const reason = (error as Error).stack ?? String(error);
      console.error(`${prefix} FAILED: ${reason}`);
      record = toRecord(suite.name, suite.title, performance.now() - suiteStarted, { failed: reason });
    }
    records.push(record);
    if (record.status === "skipped") console.log(`${prefix} skipped: ${record.reason}`);
    if (record.table.length > 0) console.table(record.table);
    for (const extra of record.extraTables) {
      console.log(`${prefix} ${extra.caption}`);
      console.table(extra.rows);
    }
    for (const target of record.targets) {
      console.log(
        `${prefix} target ${target.met ? "met   " : "MISSED"} ${target.name}: ${target.actual} (want ${target.target})`,
      );
    }
    console.log(`${prefix} done in ${(record.durationMs / 1000).toFixed(1)} s`);
  }
  temp.removeAll();

  const durationMs = performance.now() - started;
  const loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  const results = {
    schema: 1 as const,
    mode: quick ? ("quick" as const) : ("full" as const),
    startedAt,
    durationMs,
    machine,
    loadAverageAtEnd,
    noise:
      "Shared 2-core machine (other engineers' builds and tests run at the same time): absolute figures are noisy; ratios are measured within this run.",
    suites: records,
  };
  const markdown = renderMarkdown({
    machine,
    mode: results.mode,
    startedAt,
    durationMs,
    suites: records,
    loadAverageAtEnd,
  });
  // A filtered run must not overwrite the full picture.
  const base = selected.length === SUITES.length ? "latest" : "partial";
  const written = writeResults(join(import.meta.dirname, "..", "results"), base, results, markdown, charts);
  console.log(`\nwrote ${written.join(", ")}`);

  const failed = records.filter((r) => r.status === "failed");
  const gates = records.flatMap((r) => r.targets).filter((t) => t.gate && !t.met);
  for (const r of failed) console.error(`suite ${r.name} failed`);
  for (const t of gates) console.error(`gating target missed: ${t.name}: ${t.actual} (want ${t.target})`);
  console.log(`total ${(durationMs / 1000).toFixed(1)} s`);
  return failed.length > 0 || gates.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
