import { parseDuration } from "./duration.js";
import { BadRequestError } from "./errors.js";

const ISO_START = /^\d{4}-\d{2}-\d{2}/;
/** ISO-8601 date, optional time (`T` or a space), optional offset `Z`, `±hh`, `±hhmm` or `±hh:mm`. */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*([zZ]|([+-])(\d{2}):?(\d{2})?)?$/;

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
  else if (ISO_START.test(text)) ms = isoMs(text);
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

/** Milliseconds of an ISO-8601 time, or undefined when it names no real instant (2026-02-30). */
function isoMs(text: string): number | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const part = (i: number) => Number(m[i] ?? 0);
  const [year, month, day, hour, minute, second] = [part(1), part(2), part(3), part(4), part(5), part(6)];
  const milli = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  const endOfDay = hour === 24 && minute === 0 && second === 0 && milli === 0;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if ((hour > 23 && !endOfDay) || minute > 59 || second > 59) return undefined;
  const offsetHours = part(10);
  const offsetMinutes = part(11);
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offsetMs = (m[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  // not Date.UTC, which reads the years 0–99 as 1900–1999
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, milli);
  return utc.getTime() - offsetMs;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
