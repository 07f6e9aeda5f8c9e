// The most queue bytes one entry can take, as the queue counts them (entry-codec.ts: entryBytes =
// the row's UTF-8 JSON + ENTRY_OVERHEAD_BYTES). A queue smaller than that would refuse such an
// entry with a QueueFullError (retryable) on every attempt: resolveBatchConfig refuses it instead.
import { ENTRY_OVERHEAD_BYTES } from "./entry-codec.js";

/**
 * Everything in the row `[timestamp,level,"source","message","fields"]` but message and fields:
 * brackets and commas (6), a timestamp of at most 14 characters (±100 years of epoch ms),
 * a one-digit level, a source of at most 256 UTF-16 units at 6 bytes each when escaped (`\u0001`)
 * plus its quotes (1538), and the quotes around message (2) and fields (2).
 */
const ROW_FRAME_BYTES = 6 + 14 + 1 + 1538 + 2 + 2;

/** Bytes added to maxMessageBytes and maxFieldsBytes' multiples: row frame and per-entry overhead. */
export const LARGEST_ENTRY_FIXED_BYTES = ROW_FRAME_BYTES + ENTRY_OVERHEAD_BYTES;

/**
 * JSON escaping grows a message up to 6× (a control character becomes `\u0001`) and the fields
 * JSON up to 2× (it is stored as a JSON string inside the row: `"` becomes `\"`).
 */
export function largestEntryBytes(limits: { maxMessageBytes: number; maxFieldsBytes: number }): number {
  return 6 * limits.maxMessageBytes + 2 * limits.maxFieldsBytes + LARGEST_ENTRY_FIXED_BYTES;
}
