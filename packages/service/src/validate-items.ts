import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { BadRequestError } from "./errors.js";
import { refuseDeepJson } from "./json-depth.js";
import { parseJsonExact } from "./json-numbers.js";
import { type EntryValidator, type ItemIssue, validateEntry } from "./native-entry.js";
import type { Candidate } from "./store-entries.js";

/**
 * One item as an adapter read it, before validation: an entry-shaped object (`raw`), an NDJSON
 * line still to parse (`line`), or why it was refused already.
 */
export type RawItem = { raw: unknown } | { line: string; lineNumber: number } | ItemIssue;

/** Items validated between two yields to the event loop (~5 ms of work). */
export const VALIDATION_CHUNK = 1000;

/**
 * Validates every item with the entry schema, yielding to the event loop every
 * VALIDATION_CHUNK items so that a large request does not stall other requests (health checks,
 * live tail) for its whole duration.
 */
export async function validateItems(validator: EntryValidator, items: RawItem[]): Promise<Candidate[]> {
  const out: Candidate[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % VALIDATION_CHUNK === 0) await yieldToEventLoop();
    out[i] = validateOne(validator, items[i] as RawItem);
  }
  return out;
}

function validateOne(validator: EntryValidator, item: RawItem): Candidate {
  if ("raw" in item) return validateEntry(validator, item.raw);
  if ("line" in item) {
    // the body's own line number: blank lines are no items, so `index` alone would not find it
    const { lineNumber } = item;
    let json: unknown;
    try {
      refuseDeepJson(item.line, "line");
      json = parseJsonExact(item.line);
    } catch (error) {
      if (error instanceof BadRequestError) return { error: error.message, lineNumber };
      return { error: `line is not valid JSON: ${(error as Error).message.slice(0, 120)}`, lineNumber };
    }
    const candidate = validateEntry(validator, json);
    return "error" in candidate ? { ...candidate, lineNumber } : candidate;
  }
  return item;
}
