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
  const tokens = lex(query);
  if (tokens === undefined) return query;
  const { items, end } = sequence(tokens, 0);
  if (end !== tokens.length) return query; // a `)` closing nothing
  return needsJoin(items) ? emit(items) : query;
}

type Token = { kind: "(" | ")" | "operator" | "operand"; text: string };
type Item = { kind: "operator" | "operand"; text: string } | { kind: "group"; items: Item[] };

const SPACE = /[ \t\n\r]/;

/** Tokens of a normalized query, or undefined when a quote or NEAR( is left open. */
function lex(query: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i] as string;
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    if (c === "(" || c === ")") {
      tokens.push({ kind: c, text: c });
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      const close = closingQuote(query, i);
      if (close === -1) return undefined;
      i = close + 1;
      if (query[i] === "*") i++;
    } else {
      while (i < query.length && !SPACE.test(query[i] as string) && !'"()'.includes(query[i] as string)) i++;
    }
    const word = query.slice(start, i);
    if (word === "NEAR" && /^[ \t\n\r]*\(/.test(query.slice(i))) {
      const close = nearEnd(query, query.indexOf("(", i));
      if (close === -1) return undefined;
      i = close + 1;
    }
    const text = query.slice(start, i);
    tokens.push({ kind: text === "AND" || text === "OR" || text === "NOT" ? "operator" : "operand", text });
  }
  return tokens;
}

function sequence(tokens: Token[], start: number): { items: Item[]; end: number } {
  const items: Item[] = [];
  let at = start;
  while (at < tokens.length) {
    const token = tokens[at] as Token;
    if (token.kind === ")") break;
    if (token.kind === "(") {
      const inner = sequence(tokens, at + 1);
      if (tokens[inner.end]?.kind !== ")") return { items, end: -1 };
      items.push({ kind: "group", items: inner.items });
      at = inner.end + 1;
      continue;
    }
    items.push({ kind: token.kind, text: token.text });
    at++;
  }
  return { items, end: at };
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

/** The index of the quote closing the string opened at `open`, or -1. */
function closingQuote(query: string, open: number): number {
  let at = open + 1;
  for (;;) {
    const next = query.indexOf('"', at);
    if (next === -1 || query[next + 1] !== '"') return next;
    at = next + 2;
  }
}

/** The index of the `)` closing NEAR's `(` at `open` (quoted phrases skipped), or -1. */
function nearEnd(query: string, open: number): number {
  for (let at = open + 1; at < query.length; at++) {
    const c = query[at];
    if (c === ")") return at;
    if (c === '"') {
      at = closingQuote(query, at);
      if (at === -1) return -1;
    }
  }
  return -1;
}
