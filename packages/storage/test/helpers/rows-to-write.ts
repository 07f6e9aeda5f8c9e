import { type EncodedRow, rowJson } from "../../src/entry-codec.js";
import { packRows } from "../../src/row-spans.js";
import type { RowToWrite } from "../../src/writers/batch-writer.js";

/** Rows as the queue hands them to a BatchWriter (keep the array: retries pass the same objects). */
export function rowsToWrite(rows: EncodedRow[]): RowToWrite[] {
  const texts = rows.map(rowJson);
  const { chunk, starts, ends } = packRows(texts);
  return texts.map((_, i) => ({ chunk, start: starts[i]!, end: ends[i]! }));
}
