/** FTS5 query text as tokens, shared by the query normalizer and the live tail's parser. */

/** A full-text query the user must fix; the message says why, without quoting the query. */
export class FtsQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FtsQueryError";
  }
}

/** Whether FTS5 reads this UTF-16 unit as part of a bareword: ASCII letters, digits, `_`, 0x1A, non-ASCII. */
export function isBarewordChar(code: number): boolean {
  const letter = code | 0x20;
  return (
    code >= 0x80 ||
    code === 0x5f ||
    code === 0x1a ||
    (code >= 0x30 && code <= 0x39) ||
    (letter >= 0x61 && letter <= 0x7a)
  );
}

/** FTS5's whitespace: only these four (a form feed is not one). */
export const FTS_SPACE = /[ \t\n\r]/;

/** A token of an FTS5 query, with where it stands in the query text (`start` to `end`). */
export type FtsToken = (
  | { kind: "string"; text: string; bare: boolean }
  | { kind: "AND" | "OR" | "NOT" | "(" | ")" | "," | "*" | "end" }
) & { start: number; end: number };

/**
 * Splits a query into FTS5's tokens: quoted strings (`""` inside is a quote), barewords, the
 * operators, `(`, `)`, `,` and `*`, then `end`. Throws FtsQueryError for an unbalanced quote or a
 * character FTS5 would not read outside quotes (`normalizeFtsQuery` quotes every word with one).
 */
export function lexFtsQuery(query: string): FtsToken[] {
  const tokens: FtsToken[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i] as string;
    if (FTS_SPACE.test(c)) {
      i++;
    } else if (c === '"') {
      const start = i;
      let text = "";
      let at = i + 1;
      for (;;) {
        const close = query.indexOf('"', at);
        if (close === -1) throw new FtsQueryError("unbalanced double quote");
        text += query.slice(at, close);
        if (query[close + 1] !== '"') {
          i = close + 1;
          break;
        }
        text += '"';
        at = close + 2;
      }
      tokens.push({ kind: "string", text, bare: false, start, end: i });
    } else if (c === "(" || c === ")" || c === "," || c === "*") {
      tokens.push({ kind: c, start: i, end: i + 1 });
      i++;
    } else if (isBarewordChar(query.charCodeAt(i))) {
      let end = i + 1;
      while (end < query.length && isBarewordChar(query.charCodeAt(end))) end++;
      const word = query.slice(i, end);
      const span = { start: i, end };
      i = end;
      tokens.push(
        word === "AND" || word === "OR" || word === "NOT"
          ? { kind: word, ...span }
          : { kind: "string", text: word, bare: true, ...span },
      );
    } else {
      // `-`, `:`, `+`, `^`, `{`… : FTS5 operators normalizeFtsQuery never leaves outside quotes
      throw new FtsQueryError("syntax error in the full-text query");
    }
  }
  tokens.push({ kind: "end", start: query.length, end: query.length });
  return tokens;
}
