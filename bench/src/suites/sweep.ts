import { openLogStorage } from "@batchlog/storage";
import { EntryPool } from "../fixtures.js";
import { lineChart, type Series } from "../report/svg-chart.js";
import { formatRate, formatSummary, LatencyLog, percentiles } from "../stats.js";
import { emptyOutput, type Suite } from "../suite.js";
import { rateFigure, timedDrive, warmUp } from "../timed-runs.js";

const DEFAULT_BATCH = 1000;
const DEFAULT_DELAY = 10;
const BURST_PRODUCERS = 16;

interface Grid {
  batchSizes: number[];
  delays: number[];
  producers: number[];
  burstBatchSizes: number[];
}

const FULL: Grid = {
  batchSizes: [1, 10, 100, 1000, 5000],
  delays: [0, 2, 10, 50],
  producers: [1, 16, 64, 256],
  burstBatchSizes: [1, 10, 100, 1000, 5000],
};
const QUICK: Grid = {
  batchSizes: [1, 100, 1000],
  delays: [0, 10],
  producers: [64],
  burstBatchSizes: [10, 1000],
};

export interface SweepPoint {
  maxBatchSize: number;
  maxBatchDelayMs: number;
  producers: number;
  burstSize: number;
  rate: ReturnType<typeof rateFigure>;
  /** store() (or storeMany() for bursts) call to resolved id(s), ms, over every call of the runs. */
  latency: ReturnType<typeof percentiles>;
  meanBatch: number;
}

/**
 * Where the curve flattens: the smallest maxBatchSize whose batches stop growing (mean batch ≥ 90%
 * of the series' largest). Read from batch sizes, which are structural, not from throughput,
 * which the shared machine makes too noisy to locate a knee on.
 */
function knee(points: SweepPoint[]): SweepPoint | undefined {
  const largest = Math.max(...points.map((p) => p.meanBatch));
  return [...points]
    .sort((a, b) => a.maxBatchSize - b.maxBatchSize)
    .find((p) => p.meanBatch >= 0.9 * largest);
}

/**
 * Suite 3: maxBatchSize × maxBatchDelayMs × producers (closed loop, one store() each), plus
 * 100-entry bursts; throughput and call-to-commit latency; charts mark the knee and the defaults.
 */
export const sweep: Suite = {
  name: "sweep",
  title: "Sweep: maxBatchSize × maxBatchDelayMs × producers",
  async run(ctx) {
    const out = emptyOutput();
    const grid = ctx.quick ? QUICK : FULL;
    const durationMs = ctx.quick ? 150 : 500;
    const repeats = 3;
    const configs: { maxBatchSize: number; maxBatchDelayMs: number; producers: number; burstSize: number }[] =
      [];
    for (const producers of grid.producers)
      for (const maxBatchDelayMs of grid.delays)
        for (const maxBatchSize of grid.batchSizes)
          configs.push({ maxBatchSize, maxBatchDelayMs, producers, burstSize: 1 });
    for (const maxBatchSize of grid.burstBatchSizes)
      configs.push({
        maxBatchSize,
        maxBatchDelayMs: DEFAULT_DELAY,
        producers: BURST_PRODUCERS,
        burstSize: 100,
      });

    const points: SweepPoint[] = [];
    for (const [i, config] of configs.entries()) {
      const path = ctx.temp.path("sweep");
      const storage = await openLogStorage({
        url: ctx.temp.url(path),
        maxBatchSize: config.maxBatchSize,
        maxBatchDelayMs: config.maxBatchDelayMs,
      });
      try {
        const latencies = new LatencyLog();
        const options = {
          pool: new EntryPool(),
          producers: config.producers,
          burstSize: config.burstSize,
          durationMs,
        };
        await warmUp(storage, options);
        const before = storage.stats();
        const rates: number[] = [];
        for (let r = 0; r < repeats; r++)
          rates.push((await timedDrive(storage, { ...options, latencies })).rate);
        const after = storage.stats();
        const point: SweepPoint = {
          ...config,
          rate: rateFigure(rates),
          latency: percentiles(latencies.values()),
          meanBatch:
            (after.entriesStored - before.entriesStored) / Math.max(1, after.batches - before.batches),
        };
        points.push(point);
        ctx.progress(
          `${i + 1}/${configs.length} batch ${config.maxBatchSize}, delay ${config.maxBatchDelayMs} ms, ` +
            `${config.producers} producers × ${config.burstSize}: ${formatSummary(point.rate, formatRate)}, ` +
            `p50 ${point.latency.p50.toFixed(1)} ms, p99 ${point.latency.p99.toFixed(1)} ms, mean batch ${point.meanBatch.toFixed(0)}`,
        );
      } finally {
        await storage.close();
        ctx.temp.remove(path);
      }
    }

    for (const p of points) {
      const key = `b${p.maxBatchSize}.d${p.maxBatchDelayMs}.p${p.producers}x${p.burstSize}`;
      out.figures[`rate.${key}`] = p.rate;
      out.figures[`latency.${key}`] = { kind: "latency", unit: "ms", ...p.latency };
      out.table.push({
        maxBatchSize: p.maxBatchSize,
        "delay ms": p.maxBatchDelayMs,
        producers: p.burstSize === 1 ? p.producers : `${p.producers} × 100`,
        "entries/s": formatSummary(p.rate, formatRate),
        "p50 ms": Number(p.latency.p50.toFixed(2)),
        "p99 ms": Number(p.latency.p99.toFixed(2)),
        "mean batch": Math.round(p.meanBatch),
        ...(p.maxBatchSize === DEFAULT_BATCH && p.maxBatchDelayMs === DEFAULT_DELAY && { "": "default" }),
      });
    }
    out.data = { grid, durationMs, repeats, points };
    out.charts = charts(points, ctx.quick);
    const seriesAtDefaultDelay = (producers: number, burstSize: number) =>
      points.filter(
        (p) => p.maxBatchDelayMs === DEFAULT_DELAY && p.producers === producers && p.burstSize === burstSize,
      );
    for (const [producers, burstSize] of [
      ...grid.producers.map((p) => [p, 1] as const),
      [BURST_PRODUCERS, 100] as const,
    ]) {
      const k = knee(seriesAtDefaultDelay(producers, burstSize));
      if (k !== undefined) {
        out.notes.push(
          `Knee for ${producers} producers × ${burstSize} (delay ${DEFAULT_DELAY} ms): maxBatchSize ${k.maxBatchSize}, where batches stop growing (mean batch ${Math.round(k.meanBatch)}; ${formatRate(k.rate.mean)}); the default ${DEFAULT_BATCH} is ${DEFAULT_BATCH >= k.maxBatchSize ? "past it" : "below it"}.`,
        );
      }
    }
    out.notes.push(
      `Each point: ${repeats} runs of ${durationMs} ms after a warm-up on a fresh file, defaults otherwise (FTS on, synchronous full, writer thread). Latency = call to resolved id, every call of the runs (per burst for bursts).`,
      "Closed-loop single-entry producers never have more than `producers` entries queued, so a batch holds at most that many entries whatever maxBatchSize says. maxBatchDelayMs shows no consistent effect beyond the noise here: the processor dispatches as soon as producers pause while the writer is idle, so the delay only holds entries back while a commit is in flight.",
    );
    return out;
  },
};

function charts(points: SweepPoint[], quick: boolean) {
  const atDelay = (delay: number) => points.filter((p) => p.maxBatchDelayMs === delay);
  const groups = new Map<string, SweepPoint[]>();
  for (const p of atDelay(DEFAULT_DELAY)) {
    const name =
      p.burstSize === 1 ? `${p.producers} producers × 1` : `${p.producers} producers × ${p.burstSize}`;
    groups.set(name, [...(groups.get(name) ?? []), p]);
  }
  const throughput: Series[] = [...groups].map(([name, ps]) => ({
    name,
    points: ps.map((p) => ({ x: p.maxBatchSize, y: p.rate.mean })),
    dashed: ps[0]!.burstSize > 1,
  }));
  const markers: { x: number; y?: number; label: string }[] = [
    { x: DEFAULT_BATCH, label: `default maxBatchSize ${DEFAULT_BATCH}` },
  ];
  for (const ps of groups.values()) {
    const k = knee(ps);
    if (k !== undefined && ps.length > 2) {
      const label = k.maxBatchSize === DEFAULT_BATCH ? "knee = default" : "knee";
      markers.push({ x: k.maxBatchSize, y: k.rate.mean, label });
    }
  }
  const at64 = points.filter((p) => p.producers === 64 && p.burstSize === 1);
  const delays = [...new Set(at64.map((p) => p.maxBatchDelayMs))];
  const latency: Series[] = delays.flatMap((d, colorIndex) => [
    {
      colorIndex,
      name: `p50, delay ${d} ms`,
      points: at64
        .filter((p) => p.maxBatchDelayMs === d)
        .map((p) => ({ x: p.maxBatchSize, y: p.latency.p50 })),
    },
    {
      colorIndex,
      name: `p99, delay ${d} ms`,
      points: at64
        .filter((p) => p.maxBatchDelayMs === d)
        .map((p) => ({ x: p.maxBatchSize, y: p.latency.p99 })),
      dashed: true,
    },
  ]);
  const suffix = quick ? " (quick run)" : "";
  return [
    {
      file: "sweep-throughput.svg",
      title: "Throughput vs maxBatchSize",
      svg: lineChart({
        title: `Throughput vs maxBatchSize (maxBatchDelayMs ${DEFAULT_DELAY})${suffix}`,
        xLabel: "maxBatchSize (log)",
        yLabel: "entries/s, ids awaited",
        xLog: true,
        series: throughput,
        markers,
      }),
    },
    {
      file: "sweep-latency.svg",
      title: "store() to commit latency vs maxBatchSize",
      svg: lineChart({
        title: `store() → commit latency, 64 producers${suffix}`,
        xLabel: "maxBatchSize (log)",
        yLabel: "ms (log)",
        xLog: true,
        yLog: true,
        series: latency,
        markers: [{ x: DEFAULT_BATCH, label: "default" }],
        yFormat: (v) => `${v} ms`,
      }),
    },
  ];
}
