import { BadRequestError } from "./errors.js";

/**
 * Deepest nesting of arrays and objects accepted in a JSON body or NDJSON line. Far beyond any
 * log entry (OTLP's AnyValues stop at 32 levels, about 100 in JSON), and far below where parsing
 * turns costly: JSON.parse took 1.6 s on the event loop for 10 MB of `[[[…]]]`, three times a flat
 * body of the same size.
 */
export const MAX_JSON_DEPTH = 256;

/** Below this size a body parses in milliseconds however it nests: the scan is skipped. */
const SCAN_FROM_CHARS = 64 * 1024;

/**
 * Throws a BadRequestError when `text` nests deeper than MAX_JSON_DEPTH, before JSON.parse spends
 * seconds on it. Reads brackets outside strings only; malformed text is left to JSON.parse.
 */
export function refuseDeepJson(text: string, what: string): void {
  if (text.length >= SCAN_FROM_CHARS && nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new BadRequestError(`${what} is nested more than ${MAX_JSON_DEPTH} levels deep`, { param: "body" });
  }
}

export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = closingQuote(text, i);
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The index of the quote that closes the JSON string opening at `open` (escapes skipped), or the text's length. */
export function closingQuote(text: string, open: number): number {
  let i = open + 1;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i);
    if (d === 0x5c) i++;
    else if (d === 0x22) break;
  }
  return i;
}
