import { type EncodedRow, rowJson } from "../../src/entry-codec.js";
import type { RowToWrite } from "../../src/writers/batch-writer.js";

/** Rows as the queue hands them to a BatchWriter (keep the array: retries pass the same objects). */
export function rowsToWrite(rows: EncodedRow[]): RowToWrite[] {
  return rows.map((row) => ({ json: rowJson(row) }));
}
