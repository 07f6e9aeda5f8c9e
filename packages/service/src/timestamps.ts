/** Epoch nanoseconds (decimal string, number or bigint) → epoch milliseconds, or undefined if invalid. */
export function nanosToMillis(value: unknown): number | undefined {
  if (typeof value === "string") {
    if (!/^\d{1,20}$/.test(value)) return undefined;
    return Number(BigInt(value) / 1_000_000n);
  }
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? Math.trunc(value / 1e6) : undefined;
  }
  if (typeof value === "bigint") return value >= 0n ? Number(value / 1_000_000n) : undefined;
  return undefined;
}
