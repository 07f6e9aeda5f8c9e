/**
 * Crash test, standalone: `pnpm --filter @batchlog/storage crash-test -- --cycles 200`.
 *
 * Each cycle starts a child process that ingests at full speed with 64 producers and prints every
 * id whose store() resolved, SIGKILLs it at a random moment, then opens the database directly and
 * checks: every acknowledged id present with its message, no id acknowledged twice, no entry
 * stored twice, `PRAGMA integrity_check` ok. Cycles alternate `synchronous` full / normal, each
 * setting on its own database that every cycle reopens after the previous kill.
 *
 * Options: --cycles N (default 20), --synchronous full|normal|both (default both),
 * --producers N (default 64), --min-ms / --max-ms kill delay after the first acknowledged entry
 * (default 0 / 1500),
 * --rotate N start a fresh database every N cycles per setting (default 20: a database that
 * grows without bound makes each cycle's checks slower), --dir PATH (default a temp dir, removed
 * at the end unless --keep).
 * Exit code 0 when every cycle passed, 1 otherwise.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { killChildren } from "../test/helpers/child-process.js";
import { type CrashCycleResult, crashCycle } from "../test/helpers/crash-harness.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    cycles: { type: "string", default: "20" },
    synchronous: { type: "string", default: "both" },
    producers: { type: "string", default: "64" },
    "min-ms": { type: "string", default: "0" },
    "max-ms": { type: "string", default: "1500" },
    rotate: { type: "string", default: "20" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});

const cycles = Number(values.cycles);
const producers = Number(values.producers);
const minMs = Number(values["min-ms"]);
const maxMs = Number(values["max-ms"]);
const rotate = Math.max(1, Number(values.rotate));
const settings =
  values.synchronous === "both"
    ? (["full", "normal"] as const)
    : ([values.synchronous] as ("full" | "normal")[]);
for (const [name, value] of Object.entries({ cycles, producers, minMs, maxMs, rotate })) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`);
}
if (!settings.every((s) => s === "full" || s === "normal"))
  throw new Error("--synchronous: full, normal or both");

const dir = values.dir ?? mkdtempSync(join(tmpdir(), "batchlog-crash-"));
mkdirSync(dir, { recursive: true });
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void killChildren().then(() => process.exit(130));
  });
}

const failures: { cycle: number; result: CrashCycleResult }[] = [];
const totals = { acknowledged: 0, stored: 0 };
const started = performance.now();
console.log(
  `crash test: ${cycles} cycles, synchronous ${settings.join("+")}, ${producers} producers, ${dir}`,
);
for (let cycle = 0; cycle < cycles; cycle++) {
  const synchronous = settings[cycle % settings.length]!;
  const killAfterMs = minMs + Math.floor(Math.random() * (maxMs - minMs + 1));
  const generation = Math.floor(cycle / settings.length / rotate);
  const result = await crashCycle({
    dbPath: join(dir, `crash-${synchronous}-${generation}.db`),
    runId: `c${cycle}`,
    synchronous,
    killAfterMs,
    producers,
  });
  const ok =
    result.integrity === "ok" &&
    result.missing.length === 0 &&
    result.duplicateIds.length === 0 &&
    result.duplicateMessages.length === 0 &&
    result.stored >= result.acknowledged;
  totals.acknowledged += result.acknowledged;
  totals.stored += result.stored;
  if (!ok) failures.push({ cycle, result });
  console.log(
    `cycle ${String(cycle + 1).padStart(4)}/${cycles} ${synchronous.padEnd(6)} kill@${String(killAfterMs).padStart(4)}ms ` +
      `acked ${String(result.acknowledged).padStart(6)} stored ${String(result.stored).padStart(6)} ` +
      `missing ${result.missing.length} dupIds ${result.duplicateIds.length} dupRows ${result.duplicateMessages.length} ` +
      `integrity ${result.integrity} ${ok ? "OK" : "FAIL"}`,
  );
}
await killChildren();
if (!values.keep && values.dir === undefined) rmSync(dir, { recursive: true, force: true });

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `\nsummary: ${cycles} kill -9 cycles in ${seconds} s; ${totals.acknowledged} ids acknowledged, ` +
    `${totals.stored} rows on disk; ${failures.length} failed cycle(s)`,
);
for (const { cycle, result } of failures) {
  console.log(`  cycle ${cycle + 1} (${result.synchronous}, kill@${result.killAfterMs}ms):`);
  if (result.integrity !== "ok") console.log(`    integrity_check: ${result.integrity}`);
  for (const line of result.missing.slice(0, 10)) console.log(`    missing: ${line}`);
  if (result.duplicateIds.length > 0)
    console.log(`    ids acknowledged twice: ${result.duplicateIds.slice(0, 10).join(", ")}`);
  if (result.duplicateMessages.length > 0)
    console.log(`    stored twice: ${result.duplicateMessages.slice(0, 10).join(", ")}`);
}
process.exit(failures.length === 0 ? 0 : 1);
