import type { LatencySummary } from "./types.js";

/**
 * Keeps the most recent `window` samples for percentiles and a running count and max.
 * Bounded memory whatever the rate; percentiles describe recent behaviour, which is what
 * health and dashboards want.
 */
export class LatencyRecorder {
  readonly #samples: Float64Array;
  #next = 0;
  #filled = 0;
  #count = 0;
  #max = 0;

  constructor(window = 4096) {
    this.#samples = new Float64Array(window);
  }

  record(value: number): void {
    this.#samples[this.#next] = value;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#filled < this.#samples.length) this.#filled++;
    this.#count++;
    if (value > this.#max) this.#max = value;
  }

  summary(): LatencySummary {
    if (this.#filled === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    const sorted = this.#samples.slice(0, this.#filled).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return { count: this.#count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: this.#max };
  }
}
