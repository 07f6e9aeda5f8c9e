/**
 * A queued row: its JSON text (rowJson) as the span [start, end) of a text shared by all the rows
 * of one store(), storeMany() or storeEach() call, joined with ",". Queued rows stay alive until
 * their commit, and a young-generation GC copies every object still alive: one string per call
 * instead of one per entry halves the objects each scavenge copies while a backlog is queued.
 */
export interface RowSpan {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** The rows of one call as one text; row i is `text.slice(starts[i], starts[i] + rows[i].length)`. */
export function packRows(rows: readonly string[]): { text: string; starts: number[] } {
  const starts = new Array<number>(rows.length);
  let offset = 0;
  for (let i = 0; i < rows.length; i++) {
    starts[i] = offset;
    offset += (rows[i] as string).length + 1;
  }
  return { text: rows.join(","), starts };
}

/** Rows as one JSON array, the parameter of BULK_INSERT_SQL. */
export function joinRows(rows: readonly RowSpan[]): string {
  const parts: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const first = rows[i] as RowSpan;
    let last = first;
    // Rows of one call that are still neighbours in the batch go in as one slice, commas included.
    while (i + 1 < rows.length && follows(rows[i + 1] as RowSpan, last)) last = rows[++i] as RowSpan;
    parts.push(first.text.slice(first.start, last.end));
  }
  return `[${parts.join(",")}]`;
}

function follows(row: RowSpan, previous: RowSpan): boolean {
  return row.start === previous.end + 1 && row.text === previous.text;
}

export function rowText(row: RowSpan): string {
  return row.text.slice(row.start, row.end);
}
