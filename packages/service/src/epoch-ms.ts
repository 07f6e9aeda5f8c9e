/**
 * Epoch milliseconds a number can plausibly mean: 1973-03-03 (1e11) up to the year 5138 (1e14).
 * Below, the number is far likelier epoch seconds (`1732600000`, or Python's `time.time()`) or a
 * date without dashes (`20261126`), which read as milliseconds would mean January 1970; above,
 * microseconds or nanoseconds. One rule for search parameters and ingested entries.
 */
export const MIN_EPOCH_MS = 1e11;
const MAX_EPOCH_MS = 1e14;

/** Why `n` is not plausibly epoch milliseconds, or undefined when it is. */
export function implausibleEpochMs(n: number): string | undefined {
  if (n >= MIN_EPOCH_MS && n < MAX_EPOCH_MS) return undefined;
  if (n >= 1e9 && n < MIN_EPOCH_MS) {
    return `looks like epoch seconds; epoch milliseconds are expected (${Math.round(n * 1000)})`;
  }
  if (n >= MAX_EPOCH_MS)
    return "looks like epoch microseconds or nanoseconds; epoch milliseconds are expected";
  return "is not epoch milliseconds of a plausible time (1973 to 5138; use ISO-8601 for others)";
}
