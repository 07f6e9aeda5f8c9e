import type { EncodedRow } from "./entry-codec.js";
import type { Settler } from "./settlers.js";
import type { NewLogEntry } from "./types.js";

/** One store() call waiting for its commit: the entry, its encoded row and its promise's settlers. */
export interface PendingEntry {
  entry: NewLogEntry;
  row: EncodedRow;
  /** Approximate memory held while queued (see entryBytes). */
  bytes: number;
  /** performance.now() at enqueue. */
  enqueuedAt: number;
  /** Receives the outcome, as `settler.fulfil(index, id)` or `settler.fail(index, error)`. */
  settler: Settler;
  index: number;
  /** Set once resolved or rejected; a settled entry is never written afterwards unless already in flight. */
  settled: boolean;
}
