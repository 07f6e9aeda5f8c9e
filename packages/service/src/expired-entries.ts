import { type ItemIssue, isItemIssue, type ValidEntry } from "./native-entry.js";

/** The item error's code: counted apart from invalid items (`reason="too_old"` in the metrics). */
export const TOO_OLD = "BATCHLOG_TOO_OLD";

/**
 * Turns every entry already older than an age retention's limit into an item error. Stored, it
 * would be acknowledged and then deleted by the next retention run, within minutes, with nothing
 * telling its sender; refused, the sender sees why (Loki refuses such entries the same way,
 * `reject_old_samples`). Entries without a timestamp take the time of receipt and always pass.
 */
export function refuseExpired(candidates: (ValidEntry | ItemIssue)[], maxAgeMs: number, now: number): void {
  const oldest = now - maxAgeMs;
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i]!;
    if (isItemIssue(candidate) || candidate.timestamp === undefined) continue;
    if (candidate.timestamp.getTime() >= oldest) continue;
    candidates[i] = {
      field: "timestamp",
      code: TOO_OLD,
      error: `timestamp: ${candidate.timestamp.toISOString()} is older than the retention period (${formatAge(maxAgeMs)}); it would be deleted at the next retention run`,
    };
  }
}

/** 604800000 → "7d", 5400000 → "90m": the largest unit that divides the age exactly. */
function formatAge(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
