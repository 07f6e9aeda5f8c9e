import type { RowToWrite } from "./batch-writer.js";

/**
 * The rows of one write attempt, by identity. The queue retries a batch with the same row
 * objects, perhaps less entries that timed out meanwhile: such a retry is recognised here, the
 * whole attempt is sent again (so that whatever identifies it — a write token, an id sequence —
 * stands for the same rows), and the answer for the rows asked is picked out of the whole one.
 */
export class AttemptRows {
  readonly sources: readonly RowToWrite[];
  readonly #index: Map<RowToWrite, number>;

  constructor(sources: readonly RowToWrite[]) {
    this.sources = sources;
    this.#index = new Map(sources.map((row, i) => [row, i]));
  }

  /** Every one of `rows` belongs to this attempt. */
  covers(rows: readonly RowToWrite[]): boolean {
    return rows.every((row) => this.#index.has(row));
  }

  /** The values for `rows` out of the values for the whole attempt (in `sources` order). */
  pick<T>(rows: readonly RowToWrite[], values: T[]): T[] {
    if (rows === this.sources) return values;
    return rows.map((row) => values[this.#index.get(row)!]!);
  }
}
