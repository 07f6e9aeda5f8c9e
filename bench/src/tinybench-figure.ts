import type { Bench } from "tinybench";
import { quantile } from "./stats.js";
import type { LatencyFigure } from "./suite.js";

/** A completed tinybench task's latency distribution as a report figure (the Bench needs retainSamples; throws if the task did not complete). */
export function latencyFigure(task: Bench["tasks"][number]): LatencyFigure {
  const result = task.result;
  if (result.state !== "completed") throw new Error(`${task.name} ended ${result.state}`);
  const l = result.latency;
  // tinybench reports p75 and p99 but no p90: take it from the retained samples
  if (l.samples === undefined) throw new Error(`${task.name}: create the Bench with retainSamples: true`);
  return {
    kind: "latency",
    unit: "ms",
    n: l.samplesCount,
    p50: l.p50,
    p90: quantile(l.samples, 0.9),
    p99: l.p99,
    max: l.max,
    mean: l.mean,
    rmePercent: l.rme,
  };
}
