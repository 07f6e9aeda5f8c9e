import { clip } from "./clip.js";
import { parseDuration } from "./duration.js";
import { implausibleEpochMs } from "./epoch-ms.js";
import { BadRequestError } from "./errors.js";
import { parseIsoMs } from "./iso-time.js";

const ISO_START = /^\d{4}-\d{2}-\d{2}/;

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
    // `…T17:30:05+05:30` in a URL without %2B: the + arrived as a space
    const plusAsSpace = ISO_START.test(text) && /\d \d{2}(:?\d{2})?$/.test(text);
    throw new BadRequestError(
      `${param}: "${clip(value)}" is not a time (use ISO-8601, epoch milliseconds, or a duration before now such as 15m, 1h, 7d)` +
        (plusAsSpace ? "; a + in a URL is a space: send a +hh:mm offset as %2B" : ""),
      { param },
    );
  }
  return new Date(ms);
}

/** Epoch milliseconds as a query may write them: a plausible time (epoch-ms.ts), or 0 for "from the start". */
function epochMs(param: string, value: string, n: number): number {
  const issue = n === 0 ? undefined : implausibleEpochMs(n);
  if (issue !== undefined) throw new BadRequestError(`${param}: "${clip(value)}" ${issue}`, { param });
  return n;
}
