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
  const segments: Buffer[] = [];
  let length = 1;
  for (let i = 0; i < rows.length; i++) {
    const first = rows[i] as RowSpan;
    let last = first;
    // Rows of one call that are still neighbours in the batch go in as one slice, commas included.
    while (i + 1 < rows.length && follows(rows[i + 1] as RowSpan, last)) last = rows[++i] as RowSpan;
    segments.push(first.chunk.subarray(first.start, last.end));
    length += last.end - first.start + 1;
  }
  const out = Buffer.allocUnsafeSlow(Math.max(length, 2));
  out[0] = 0x5b; // [
  let offset = 1;
  for (const segment of segments) {
    if (offset > 1) out[offset++] = 0x2c; // ,
    offset += segment.copy(out, offset);
  }
  out[offset++] = 0x5d; // ]
  return out.subarray(0, offset);
}

function follows(row: RowSpan, previous: RowSpan): boolean {
  return row.start === previous.end + 1 && row.chunk === previous.chunk;
}

export function rowText(row: RowSpan): string {
  return row.chunk.toString("utf8", row.start, row.end);
}
