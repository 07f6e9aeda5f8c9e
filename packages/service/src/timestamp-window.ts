import { LOG_LEVELS, type LogLevel } from "@batchlog/storage";
import { formatDuration, formatRoughDuration } from "./duration.js";
import { type ItemIssue, isItemIssue, type ValidEntry } from "./native-entry.js";
import type { RetentionOptions } from "./retention.js";

/** Item error codes: counted apart from invalid items (`reason="too_old"`/`"too_new"` in the metrics). */
export const TOO_OLD = "BATCHLOG_TOO_OLD";
export const TOO_NEW = "BATCHLOG_TOO_NEW";

/** How far from the service's clock an entry's timestamp may be; unset bounds accept anything. */
export interface TimestampWindow {
  /** The smallest age limit of the running retentions for each level (unset: no limit). */
  maxAgeMs?: Partial<Record<LogLevel, number>>;
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
  // the message names the level only when levels have different periods
  const sameForAll = new Set(LOG_LEVELS.map((level) => maxAgeMs?.[level])).size === 1;
  const newest = maxFutureMs === undefined ? Number.POSITIVE_INFINITY : now + maxFutureMs;
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i]!;
    if (isItemIssue(candidate) || candidate.timestamp === undefined) continue;
    const ms = candidate.timestamp.getTime();
    // an entry without a level is stored as info
    const level = candidate.level ?? "info";
    const maxAge = maxAgeMs?.[level];
    if (maxAge !== undefined && ms < now - maxAge) {
      const period = sameForAll ? "" : ` of ${level} entries`;
      candidates[i] = {
        field: "timestamp",
        code: TOO_OLD,
        error: `timestamp: ${candidate.timestamp.toISOString()} is older than the retention period${period} (${formatDuration(maxAge)}); it would be deleted at the next retention run`,
      };
    } else if (ms > newest) {
      candidates[i] = {
        field: "timestamp",
        code: TOO_NEW,
        error: `timestamp: ${candidate.timestamp.toISOString()} is ${formatRoughDuration(ms - now)} ahead of the server's clock (at most ${formatDuration(maxFutureMs!)} is taken); check the sender's clock and time zone: a time without an offset is UTC`,
      };
    }
  }
}

/** A retention's age limit for each level it deletes by age. */
export function ageLimitsOf({
  maxAgeMs,
  maxAgeByLevel,
}: RetentionOptions): Partial<Record<LogLevel, number>> {
  const limits: Partial<Record<LogLevel, number>> = {};
  for (const level of LOG_LEVELS) {
    const limit = maxAgeByLevel?.[level] ?? maxAgeMs;
    if (limit !== undefined) limits[level] = limit;
  }
  return limits;
}

/** The smallest limit per level among the running retentions. */
export function smallestAgeLimits(
  all: Iterable<Partial<Record<LogLevel, number>>>,
): Partial<Record<LogLevel, number>> {
  const smallest: Partial<Record<LogLevel, number>> = {};
  for (const limits of all) {
    for (const level of LOG_LEVELS) {
      const limit = limits[level];
      if (limit !== undefined) smallest[level] = Math.min(limit, smallest[level] ?? limit);
    }
  }
  return smallest;
}
