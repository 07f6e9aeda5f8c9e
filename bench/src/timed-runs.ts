import type { LogStorage } from "@batchlog/storage";
import { type DriveOptions, type DriveResult, drive } from "./drive.js";
import { summarize } from "./stats.js";
import type { RateFigure, ValueFigure } from "./suite.js";

/** An unmeasured short run: JIT, page cache and the writer thread are warm before timing starts. */
export async function warmUp(storage: LogStorage, options: Omit<DriveOptions, "storage">): Promise<void> {
  const { latencies: _ignored, ...rest } = options;
  // Few producers: a warm-up that leaves thousands of entries in flight would drain for seconds.
  await drive({
    ...rest,
    storage,
    producers: Math.min(rest.producers, 4),
    durationMs: 150,
    totalEntries: Number.POSITIVE_INFINITY,
  });
}

/** One timed closed-loop run; a failed store() fails the benchmark instead of inflating the rate. */
export async function timedDrive(
  storage: LogStorage,
  options: Omit<DriveOptions, "storage">,
): Promise<DriveResult> {
  const result = await drive({ ...options, storage });
  if (result.errors > 0) {
    throw new Error(`${result.errors} store() calls failed during a timed run: ${result.firstError}`);
  }
  return result;
}

/**
 * Runs the contenders in turn (A B A B …) so that the shared machine's load swings hit each of
 * them alike; ratios are then taken run by run. Returns the rates per contender.
 */
export async function interleave(
  repeats: number,
  contenders: Record<string, () => Promise<number>>,
  onRun?: (name: string, i: number, rate: number) => void,
): Promise<Record<string, number[]>> {
  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let i = 0; i < repeats; i++) {
    for (const [name, run] of Object.entries(contenders)) {
      const rate = await run();
      rates[name]!.push(rate);
      onRun?.(name, i, rate);
    }
  }
  return rates;
}

/**
 * Warms each store up, then drives them in turn with the same producers (see interleave):
 * entries/s per store, keyed as `storages` is.
 */
export async function interleaveStores(
  repeats: number,
  storages: Record<string, LogStorage>,
  options: Omit<DriveOptions, "storage">,
): Promise<Record<string, number[]>> {
  for (const storage of Object.values(storages)) await warmUp(storage, options);
  const contenders = Object.fromEntries(
    Object.entries(storages).map(([name, storage]) => [
      name,
      async () => (await timedDrive(storage, options)).rate,
    ]),
  );
  return interleave(repeats, contenders);
}

export function rateFigure(rates: number[], unit = "entries/s"): RateFigure {
  return { kind: "rate", unit, ...summarize(rates) };
}

/** Ratio of two interleaved series: the mean of the per-pair ratios, with their min and max. */
export function ratioFigure(
  numerator: number[],
  denominator: number[],
  unit: string,
  scale = 1,
): ValueFigure {
  const ratios = numerator.map((x, i) => (scale * x) / denominator[i]!);
  const s = summarize(ratios);
  return { kind: "value", unit, value: s.mean, n: s.n, min: s.min, max: s.max };
}
