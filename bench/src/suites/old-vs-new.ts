import { type LogStorage, openLogStorage } from "@batchlog/storage";
import { Bench } from "tinybench";
import { EntryPool } from "../fixtures.js";
import { formatRate, formatSummary } from "../stats.js";
import { emptyOutput, type LatencyFigure, type Suite } from "../suite.js";
import { interleaveStores, rateFigure, ratioFigure } from "../timed-runs.js";
import { latencyFigure } from "../tinybench-figure.js";

const REQUIRED_RATIO = 5;
const PRODUCERS = 64;

function workloads(quick: boolean) {
  // Bursts keep producers × 100 entries in flight, and the baseline drains them at a few hundred
  // entries/s after each timed window (fsync per entry): 16 burst producers (4 with --quick)
  // keep a run to seconds instead of half a minute.
  const burstProducers = quick ? 4 : 16;
  return [
    { key: "single", label: `${PRODUCERS} producers × 1 entry`, producers: PRODUCERS, burstSize: 1 },
    {
      key: "burst",
      label: `${burstProducers} producers × 100-entry bursts`,
      producers: burstProducers,
      burstSize: 100,
    },
  ];
}

/** tinybench: the latency of a lone awaited store() on each implementation (no batching possible). */
async function singleStoreLatency(
  storages: Record<string, LogStorage>,
  quick: boolean,
): Promise<{ implementation: string; figure: LatencyFigure; perSecond: number }[]> {
  const pool = new EntryPool();
  const bench = new Bench({
    name: "store-latency",
    retainSamples: true,
    time: quick ? 200 : 1000,
    warmupTime: 50,
    throws: true,
  });
  for (const [name, storage] of Object.entries(storages)) bench.add(name, () => storage.store(pool.next()));
  await bench.run();
  return bench.tasks.map((task) => ({
    implementation: task.name,
    figure: latencyFigure(task),
    perSecond: task.result.state === "completed" ? task.result.throughput.mean : 0,
  }));
}

/**
 * Suite 1: the baseline (one INSERT and one transaction per entry) against the batched store,
 * same schema, entries and durability; every id awaited. Gate: batched ≥ 5× direct everywhere.
 */
export const oldVsNew: Suite = {
  name: "old-vs-new",
  title: "Old vs new: DirectLogStorage vs BatchedLogStorage",
  async run(ctx) {
    const out = emptyOutput();
    const durationMs = ctx.quick ? 300 : 2500;
    const repeats = 3;
    let worst = Number.POSITIVE_INFINITY;
    const worstByFts: Record<string, number> = {
      on: Number.POSITIVE_INFINITY,
      off: Number.POSITIVE_INFINITY,
    };
    const latencyRows: Record<string, string | number>[] = [];
    for (const fullText of [true, false])
      for (const synchronous of ["full", "normal"] as const) {
        const fts = fullText ? "on" : "off";
        // the tinybench single-store latency does not depend on the index: measure it once
        const measureLatency = fullText;
        const paths = {
          direct: ctx.temp.path(`direct-${synchronous}-fts-${fts}`),
          batched: ctx.temp.path(`batched-${synchronous}-fts-${fts}`),
        };
        const storages: Record<string, LogStorage> = {};
        try {
          for (const implementation of ["direct", "batched"] as const) {
            storages[implementation] = await openLogStorage({
              url: ctx.temp.url(paths[implementation]),
              implementation,
              synchronous,
              fullText,
            });
          }
          if (measureLatency) ctx.progress(`synchronous=${synchronous}: one store() at a time (tinybench)`);
          const latencies = measureLatency ? await singleStoreLatency(storages, ctx.quick) : [];
          for (const { implementation, figure, perSecond } of latencies) {
            out.figures[`singleStoreLatency.${implementation}.${synchronous}`] = figure;
            latencyRows.push({
              synchronous,
              implementation,
              "p50 ms": figure.p50.toFixed(3),
              "p99 ms": figure.p99.toFixed(3),
              "mean ms": `${figure.mean!.toFixed(3)} ±${figure.rmePercent!.toFixed(1)}%`,
              "store()/s": Math.round(perSecond),
              samples: figure.n,
            });
          }
          for (const workload of workloads(ctx.quick)) {
            ctx.progress(
              `FTS ${fts}, synchronous=${synchronous}, ${workload.label}: direct and batched runs interleaved`,
            );
            const options = {
              pool: new EntryPool(),
              producers: workload.producers,
              burstSize: workload.burstSize,
              durationMs,
            };
            const rates = await interleaveStores(repeats, storages, options);
            const direct = rateFigure(rates.direct!);
            const batched = rateFigure(rates.batched!);
            const ratio = ratioFigure(rates.batched!, rates.direct!, "×");
            worst = Math.min(worst, ratio.value);
            worstByFts[fts] = Math.min(worstByFts[fts]!, ratio.value);
            const key = `${fullText ? "" : "ftsOff."}${synchronous}.${workload.key}`;
            out.figures[`direct.${key}`] = direct;
            out.figures[`batched.${key}`] = batched;
            out.figures[`ratio.${key}`] = ratio;
            out.table.push({
              FTS: fts,
              synchronous,
              workload: workload.label,
              "direct entries/s": formatSummary(direct, formatRate),
              "batched entries/s": formatSummary(batched, formatRate),
              "ratio (min–max)": `${ratio.value.toFixed(1)}× (${ratio.min!.toFixed(1)}–${ratio.max!.toFixed(1)})`,
            });
            console.log(
              `  ratio batched/direct (FTS ${fts}, synchronous=${synchronous}, ${workload.label}): ${ratio.value.toFixed(1)}×`,
            );
          }
        } finally {
          for (const storage of Object.values(storages)) await storage.close();
          for (const path of Object.values(paths)) ctx.temp.remove(path);
        }
      }
    out.extraTables = [
      {
        caption: "One producer, one store() awaited at a time, idle store (tinybench latency)",
        rows: latencyRows,
      },
    ];
    for (const fts of ["on", "off"]) {
      out.targets.push({
        name: `batched ≥ 20× direct, FTS ${fts} (worst of both synchronous modes and both workloads)`,
        target: "≥ 20×",
        actual: `${worstByFts[fts]!.toFixed(1)}×`,
        met: worstByFts[fts]! >= 20,
        gate: false,
      });
    }
    out.targets.push({
      name: "batched ≥ 5× direct (worst of both synchronous modes and both workloads)",
      target: `≥ ${REQUIRED_RATIO}×`,
      actual: `${worst.toFixed(1)}×`,
      met: worst >= REQUIRED_RATIO,
      gate: true,
    });
    out.notes.push(
      "Closed-loop producers: each awaits its ids before sending more; entries/s counts resolved ids only, from the first call to the last resolved promise.",
      `Each cell: mean ±relative sd over ${repeats} runs of ${durationMs} ms, direct and batched runs alternating (ratio = mean of the per-pair ratios), after a warm-up; defaults otherwise (maxBatchSize 1000, maxBatchDelayMs 10); with FTS on every entry also updates the FTS5 index, which caps both implementations' writer.`,
      "The direct baseline commits one transaction per entry through Drizzle on @libsql/client: with synchronous=full each entry costs an fsync.",
    );
    return out;
  },
};
