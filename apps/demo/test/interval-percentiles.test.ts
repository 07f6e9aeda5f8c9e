import { describe, expect, it } from "vitest";
import { IntervalPercentiles } from "../src/interval-percentiles.js";

describe("IntervalPercentiles", () => {
  it("Should give percentiles within 10% of the exact ones, the max exactly, and forget at reset", () => {
    const p = new IntervalPercentiles();
    const values = Array.from({ length: 10_000 }, (_, i) => 0.05 + (i % 1000) * 0.7); // 0.05 … 699.35 ms
    for (const v of values) p.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1] as number;
      expect(p.percentile(q)).toBeGreaterThanOrEqual(exact);
      expect(p.percentile(q)).toBeLessThanOrEqual(exact * 1.1);
    }
    expect(p.max).toBe(sorted.at(-1));
    expect(p.count).toBe(10_000);
    p.reset();
    expect([p.count, p.max, p.percentile(0.99)]).toEqual([0, 0, 0]);
    p.record(15_000);
    expect(p.percentile(0.5)).toBe(15_000);
  });
});
