/**
 * A queued row: its JSON text (rowJson) as the byte span [start, end) of a UTF-8 buffer shared by
 * all the rows of one store(), storeMany() or storeEach() call, joined with ",". Queued rows stay
 * alive until their commit, and a young-generation GC copies every object still alive; bytes
 * outside the JS heap are not copied, and one buffer per call is one object, not one per entry.
 */
export interface RowSpan {
  readonly chunk: Buffer;
  readonly start: number;
  readonly end: number;
}

/** The rows of one call in one buffer; row i is `chunk.subarray(starts[i], ends[i])`. */
export function packRows(rows: readonly string[]): { chunk: Buffer; starts: number[]; ends: number[] } {
  const text = rows.join(",");
  const chunk = Buffer.from(text);
  const starts = new Array<number>(rows.length);
  const ends = new Array<number>(rows.length);
  // All ASCII (the usual case): byte offsets are character offsets.
  const ascii = chunk.length === text.length;
  let offset = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as string;
    starts[i] = offset;
    offset += ascii ? row.length : Buffer.byteLength(row);
    ends[i] = offset;
    offset += 1;
  }
  return { chunk, starts, ends };
}

/**
 * Rows as one JSON array in UTF-8, the parameter of BULK_INSERT_SQL, in a buffer of its own (what
 * crosses to the writer thread is exactly the batch). Never decoded on this thread.
 */
export function joinRows(rows: readonly RowSpan[]): Buffer {
  // Merging neighbours keeps the commas between them, so the size is known up front.
  let length = Math.max(1, rows.length) + 1;
  for (const row of rows) length += row.end - row.start;
  const out = Buffer.allocUnsafeSlow(length);
  out[0] = 0x5b; // [
  let offset = 1;
  for (let i = 0; i < rows.length; i++) {
    const first = rows[i] as RowSpan;
    let last = first;
    // Rows of one call that are still neighbours in the batch go in as one copy, commas included.
    while (i + 1 < rows.length && follows(rows[i + 1] as RowSpan, last)) last = rows[++i] as RowSpan;
    if (offset > 1) out[offset++] = 0x2c; // ,
    offset += first.chunk.copy(out, offset, first.start, last.end);
  }
  out[offset] = 0x5d; // ]
  return out;
}

function follows(row: RowSpan, previous: RowSpan): boolean {
  return row.start === previous.end + 1 && row.chunk === previous.chunk;
}

export function rowText(row: RowSpan): string {
  return row.chunk.toString("utf8", row.start, row.end);
}
