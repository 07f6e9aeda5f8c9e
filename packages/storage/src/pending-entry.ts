import type { RowSpan } from "./row-spans.js";
import type { Settler } from "./settlers.js";
import type { NewLogEntry } from "./types.js";

/**
 * One entry waiting for its commit. Kept small, as up to queueCapacity of them live at once and
 * each one survives long enough to reach the old generation: the row as a span of its call's
 * JSON text (no per-field objects, no string per entry), and the caller's entry only when its
 * `id` must be set (store, storeMany).
 */
export interface PendingEntry extends RowSpan {
  /** The caller's object, to set `entry.id` on commit; null for storeEach (ids come back in its results). */
  entry: NewLogEntry | null;
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

/**
 * Sets `entry.id` where the caller's object takes it. A frozen or sealed entry, or one whose `id`
 * is read-only, keeps its own: the id is in the promise all the same, and throwing here, after
 * the COMMIT, would report a stored entry as failed (or stop the queue's loop).
 */
export function tagWithId(entry: NewLogEntry, id: number): void {
  try {
    entry.id = id;
  } catch {
    // not writable: nothing to do
  }
}
