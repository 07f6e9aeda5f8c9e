// ISO-8601 times as query parameters and entry timestamps accept them: one reading for both.

/** ISO-8601 date, optional time (`T` or a space), optional offset `Z`, `±hh`, `±hhmm` or `±hh:mm`. */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*([zZ]|([+-])(\d{2}):?(\d{2})?)?$/;

/**
 * Milliseconds of an ISO-8601 time (UTC when it has no offset), or undefined when it is not one or
 * names no real instant (2026-02-30, 25:00): Date.parse would roll those over to another day.
 */
export function parseIsoMs(text: string): number | undefined {
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
