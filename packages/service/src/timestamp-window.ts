import { type ItemIssue, isItemIssue, type ValidEntry } from "./native-entry.js";

/** Item error codes: counted apart from invalid items (`reason="too_old"`/`"too_new"` in the metrics). */
export const TOO_OLD = "BATCHLOG_TOO_OLD";
export const TOO_NEW = "BATCHLOG_TOO_NEW";

/** How far from the service's clock an entry's timestamp may be; unset bounds accept anything. */
export interface TimestampWindow {
  /** The smallest age limit of the running retentions. */
  maxAgeMs?: number;
  maxFutureMs?: number;
}

/**
 * Turns every entry stamped outside the window into an item error. Already older than an age
 * retention's limit, it would be acknowledged and then deleted by the next retention run, within
 * minutes, with nothing telling its sender (Loki's `reject_old_samples`). Far ahead of the clock,
 * it would sit above every newer entry in newest-first views until its time comes, and count or
 * size retention, deleting the oldest, would keep it: a sender whose clock or time zone is wrong
 * (a local time sent without its offset reads as UTC) is told so instead (Loki's
 * `creation_grace_period`). Entries without a timestamp take the time of receipt and always pass.
 */
export function refuseOutsideWindow(
  candidates: (ValidEntry | ItemIssue)[],
  { maxAgeMs, maxFutureMs }: TimestampWindow,
  now: number,
): void {
  const oldest = maxAgeMs === undefined ? Number.NEGATIVE_INFINITY : now - maxAgeMs;
  const newest = maxFutureMs === undefined ? Number.POSITIVE_INFINITY : now + maxFutureMs;
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i]!;
    if (isItemIssue(candidate) || candidate.timestamp === undefined) continue;
    const ms = candidate.timestamp.getTime();
    if (ms < oldest) {
      candidates[i] = {
        field: "timestamp",
        code: TOO_OLD,
        error: `timestamp: ${candidate.timestamp.toISOString()} is older than the retention period (${formatAge(maxAgeMs!)}); it would be deleted at the next retention run`,
      };
    } else if (ms > newest) {
      candidates[i] = {
        field: "timestamp",
        code: TOO_NEW,
        error: `timestamp: ${candidate.timestamp.toISOString()} is ${roughly(ms - now)} ahead of the server's clock (at most ${formatAge(maxFutureMs!)} is taken); check the sender's clock and time zone: a time without an offset is UTC`,
      };
    }
  }
}

const UNITS = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
] as const;

/** 604800000 → "7d", 5400000 → "90m": the largest unit that divides the age exactly. */
function formatAge(ms: number): string {
  const exact = UNITS.find(([, size]) => ms % size === 0);
  return exact === undefined ? `${ms}ms` : `${ms / exact[1]}${exact[0]}`;
}

/**
 * 28_800_123 → "8h", 5_400_000 → "1.5h", 754_000 → "13m", 97_632_000_000 → "1130d": the
 * largest unit it holds, to a tenth below ten of them.
 */
function roughly(ms: number): string {
  const [unit, size] = UNITS.find(([, size]) => ms >= size) ?? UNITS[3];
  const n = ms / size;
  return `${n >= 10 ? Math.round(n) : Math.round(n * 10) / 10}${unit}`;
}
