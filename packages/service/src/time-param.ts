import { parseDuration } from "./duration.js";
import { BadRequestError } from "./errors.js";
import { parseIsoMs } from "./iso-time.js";

const ISO_START = /^\d{4}-\d{2}-\d{2}/;
/**
 * Epoch milliseconds a query can mean: 1973-03-03 to 5138 (and 0). Below, the number is far
 * likelier epoch seconds (1732600000) or a date without dashes (20261126), which read as
 * milliseconds would silently mean January 1970; above, microseconds or nanoseconds.
 */
const MIN_EPOCH_MS = 1e11;
const MAX_EPOCH_MS = 1e14;

/**
 * A time in a query parameter: `now`, epoch milliseconds (`1732600000000`), ISO-8601
 * (`2026-11-26T10:00:00Z`; without an offset it is UTC), or a relative duration meaning
 * "that long before now" (`15m`, `1h`, `7d`, also written `now-15m`).
 */
export function parseTimeParam(param: string, value: string, now: number): Date {
  const text = value.trim();
  let ms: number | undefined;
  if (text === "now") ms = now;
  else if (/^-?\d+$/.test(text)) ms = epochMs(param, value, Number(text));
  else if (ISO_START.test(text)) ms = parseIsoMs(text);
  else {
    const relative = text.startsWith("now-") ? text.slice(4) : text;
    try {
      ms = now - parseDuration(relative);
    } catch {
      ms = undefined;
    }
  }
  if (ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    throw new BadRequestError(
      `${param}: "${clip(value)}" is not a time (use ISO-8601, epoch milliseconds, or a duration before now such as 15m, 1h, 7d)`,
      { param },
    );
  }
  return new Date(ms);
}

function epochMs(param: string, value: string, n: number): number {
  if (n === 0 || (n >= MIN_EPOCH_MS && n < MAX_EPOCH_MS)) return n;
  const reason =
    n >= 1e9 && n < MIN_EPOCH_MS
      ? `looks like epoch seconds; epoch milliseconds are expected (${value.trim()}000)`
      : n >= MAX_EPOCH_MS
        ? "looks like epoch microseconds or nanoseconds; epoch milliseconds are expected"
        : "is not epoch milliseconds of a plausible time (1973 to 5138; use ISO-8601 for others)";
  throw new BadRequestError(`${param}: "${clip(value)}" ${reason}`, { param });
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
