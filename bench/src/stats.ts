/** A figure measured over several samples: what every number in the results carries. */
export interface Summary {
  n: number;
  mean: number;
  median: number;
  min: number;
  max: number;
  /** Sample standard deviation. */
  sd: number;
  /** sd / mean, in percent: the spread the report prints as ±. */
  rsdPercent: number;
}

export function summarize(samples: readonly number[]): Summary {
  const n = samples.length;
  if (n === 0) return { n: 0, mean: 0, median: 0, min: 0, max: 0, sd: 0, rsdPercent: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  const sd = Math.sqrt(variance);
  return {
    n,
    mean,
    median: quantile(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    sd,
    rsdPercent: mean === 0 ? 0 : (100 * sd) / mean,
  };
}

/** Linear interpolation between order statistics of an ascending array. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentiles(values: Float64Array | number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : 0,
  };
}

/** Latencies in a growable typed array: millions of samples without boxing each number. */
export class LatencyLog {
  #values = new Float64Array(1024);
  #length = 0;

  push(ms: number): void {
    if (this.#length === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.#length++] = ms;
  }

  get length(): number {
    return this.#length;
  }

  values(): Float64Array {
    return this.#values.subarray(0, this.#length);
  }

  append(other: LatencyLog): void {
    for (const v of other.values()) this.push(v);
  }
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  return `${perSecond.toFixed(0)}/s`;
}

export function formatSummary(s: Summary, format: (x: number) => string = (x) => x.toFixed(1)): string {
  return `${format(s.mean)} ±${s.rsdPercent.toFixed(0)}% (n=${s.n}, ${format(s.min)}–${format(s.max)})`;
}
