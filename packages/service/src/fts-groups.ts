import { type FtsToken, lexFtsQuery } from "./fts-lexer.js";

/**
 * FTS5 joins words and phrases side by side with an implicit AND, but not a parenthesized group:
 * `timeout (db OR redis)`, `(a) b` and `(a) (b)` are syntax errors to it (fts5parse.y's implicit
 * AND is a list of phrases and NEAR groups only). A user means AND there, so each run of operands
 * side by side that holds a group is rewritten with explicit ANDs and parenthesized as one
 * operand, as FTS5's own implicit AND binds tighter than NOT, AND and OR:
 * `x OR a b (c) d` → `x OR (a b AND (c) AND d)`. Words and phrases next to each other stay side
 * by side, so FTS5 still drops an empty phrase among them (`"-"`). Anything else (an unbalanced
 * parenthesis) is left as it is for FTS5 to report. Takes `normalizeFtsQuery`'s output.
 */
export function joinGroupsWithAnd(query: string): string {
  let tokens: FtsToken[];
  try {
    tokens = lexFtsQuery(query);
  } catch {
    return query; // FTS5 reports it
  }
  const { items, end } = sequence(query, tokens, 0);
  if (tokens[end]?.kind !== "end") return query; // a `)` closing nothing, a stray `,` or `*`
  return needsJoin(items) ? emit(items) : query;
}

type Item = { kind: "operator" | "operand"; text: string } | { kind: "group"; items: Item[] };

/**
 * Items up to the `)` or end that closes this level; `end` is the index of that token, of a stray
 * `,` or `*`, or -1 when a `(` is never closed.
 */
function sequence(query: string, tokens: FtsToken[], start: number): { items: Item[]; end: number } {
  const items: Item[] = [];
  let at = start;
  for (;;) {
    const token = tokens[at] as FtsToken;
    if (token.kind === "(") {
      const inner = sequence(query, tokens, at + 1);
      if (tokens[inner.end]?.kind !== ")") return { items, end: -1 }; // never closed
      items.push({ kind: "group", items: inner.items });
      at = inner.end + 1;
    } else if (token.kind === "AND" || token.kind === "OR" || token.kind === "NOT") {
      items.push({ kind: "operator", text: token.kind });
      at++;
    } else if (token.kind === "string") {
      // one operand: a word or phrase with its prefix `*`, or NEAR( … ) whole
      let last = at;
      if (tokens[at + 1]?.kind === "*") last = at + 1;
      else if (token.bare && token.text === "NEAR" && tokens[at + 1]?.kind === "(") {
        last = tokens.findIndex((t, i) => i > at && (t.kind === ")" || t.kind === "end"));
        if (tokens[last]?.kind !== ")") return { items, end: -1 };
      }
      items.push({ kind: "operand", text: query.slice(token.start, (tokens[last] as FtsToken).end) });
      at = last + 1;
    } else {
      return { items, end: at };
    }
  }
}

/** Runs of items with no operator between them. */
function runs(items: Item[]): Item[][] {
  const out: Item[][] = [];
  let run: Item[] = [];
  for (const item of items) {
    if (item.kind === "operator") {
      if (run.length > 0) out.push(run);
      out.push([item]);
      run = [];
    } else {
      run.push(item);
    }
  }
  if (run.length > 0) out.push(run);
  return out;
}

function needsJoin(items: Item[]): boolean {
  return runs(items).some(
    (run) =>
      (run.length > 1 && run.some((item) => item.kind === "group")) ||
      run.some((item) => item.kind === "group" && needsJoin(item.items)),
  );
}

function emit(items: Item[]): string {
  return runs(items)
    .map((run) => {
      if (run.length === 1 || !run.some((item) => item.kind === "group")) return run.map(emitItem).join(" ");
      // words and phrases stay side by side; a group is joined to its neighbours by AND
      const parts: string[] = [];
      let words: string[] = [];
      for (const item of run) {
        if (item.kind === "group") {
          if (words.length > 0) parts.push(words.join(" "));
          parts.push(emitItem(item));
          words = [];
        } else {
          words.push(emitItem(item));
        }
      }
      if (words.length > 0) parts.push(words.join(" "));
      return `(${parts.join(" AND ")})`;
    })
    .join(" ");
}

function emitItem(item: Item): string {
  return item.kind === "group" ? `(${emit(item.items)})` : item.text;
}
