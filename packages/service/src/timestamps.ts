import { MIN_EPOCH_MS } from "./epoch-ms.js";

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

/**
 * Why epoch nanoseconds cannot be what the sender meant, or undefined when they can. A time before
 * 1973 (the native route's bound, epoch-ms.ts) is a unit mistake, seconds, milliseconds or
 * microseconds sent where nanoseconds belong, or a stamp never set (0): stored, it would be
 * January 1970, missing from every recent search and the first deleted by age-based retention.
 */
export function implausibleNanos(value: string | number | bigint): string | undefined {
  const n = Number(value);
  if (n >= MIN_EPOCH_MS * 1e6) return undefined;
  if (n === 0) return "is 0 (no time was set)";
  const unit = n >= 1e14 ? "microseconds" : n >= 1e11 ? "milliseconds" : n >= 1e8 ? "seconds" : undefined;
  return unit === undefined
    ? "is not a plausible time in nanoseconds since the epoch (1973 or later)"
    : `looks like epoch ${unit}; nanoseconds since the epoch are expected`;
}
