/**
 * Percentiles of the values recorded since the last reset, within ~5%: counts in buckets growing
 * by 10% from 1 µs (a fixed, small memory however many values an interval sees). The storage's
 * own summaries cover its last few thousand batches, so at low traffic a stats line quoted p99s
 * from minutes before, and an interval whose entries waited 15 s on a lock showed 113 ms.
 */
const FIRST = 0.001; // ms
const GROWTH = 1.1;
const BUCKETS = 260; // up to ~FIRST × 1.1^260 ≈ 5.9e7 ms

export class IntervalPercentiles {
  #counts = new Uint32Array(BUCKETS);
  #count = 0;
  #max = 0;

  record(ms: number): void {
    if (!(ms >= 0)) return;
    const index = ms <= FIRST ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FIRST) / Math.log(GROWTH)));
    this.#counts[index]!++;
    this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#max;
  }

  /** The value below which a share `q` (0–1) of the recorded ones fall: a bucket's upper bound, capped at the max. */
  percentile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(FIRST * GROWTH ** i, this.#max);
    }
    return this.#max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#max = 0;
  }
}
