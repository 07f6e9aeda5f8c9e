import { describe, expect, it } from "vitest";
import { joinRows, packRows, type RowSpan, rowText } from "../src/row-spans.js";

/** The spans of one call's rows, as BatchedLogStorage queues them. */
function call(rows: string[]): RowSpan[] {
  const { chunk, starts, ends } = packRows(rows);
  return rows.map((_, i) => ({ chunk, start: starts[i]!, end: ends[i]! }));
}

describe("row spans", () => {
  const a = call(['[1,"a,b"]', '[2,"ü"]', "[3]"]);
  const b = call(['[4,"x"]', "[5]"]);

  it("gives each row back as its own text", () => {
    expect(a.map(rowText)).toEqual(['[1,"a,b"]', '[2,"ü"]', "[3]"]);
    expect(call([]).map(rowText)).toEqual([]);
  });

  it("joins whole calls, parts of calls and interleaved calls into one JSON array in row order", () => {
    const cases: RowSpan[][] = [
      [...a, ...b],
      [a[1]!, a[2]!, b[0]!],
      [a[0]!, a[2]!],
      [b[1]!, a[0]!, b[0]!, a[1]!],
      [a[0]!],
    ];
    for (const rows of cases) {
      expect(JSON.parse(joinRows(rows).toString())).toEqual(rows.map((row) => JSON.parse(rowText(row))));
    }
  });

  it("copies neighbouring rows of one call as one slice, in a buffer of its own", () => {
    // Same chunk, adjacent spans: the batch is the call's bytes verbatim (commas included).
    expect(joinRows(a).toString()).toBe(`[${a[0]!.chunk.toString()}]`);
    expect(joinRows(a).byteOffset, "not a slice of a shared pool").toBe(0);
    expect(joinRows([]).toString(), "an empty batch is still an array").toBe("[]");
  });
});
