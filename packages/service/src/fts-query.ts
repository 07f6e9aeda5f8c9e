import { joinGroupsWithAnd } from "./fts-groups.js";
import { FtsQueryError, isBarewordChar, FTS_SPACE as SPACE } from "./fts-lexer.js";

export { FtsQueryError };

const OPERATORS = new Set(["AND", "OR", "NOT"]);

/**
 * Turns what a user types into a query FTS5 reads as the user meant it. The storage takes FTS5
 * syntax, where `-`, `:`, `+`, `^`, `{`, `,` and `.` in a bare word are column filters or other
 * operators (`order-1` is "no such column: 1"); a log search has one column, so none of that is
 * useful, while hyphenated ids, hostnames and `key:value` are what users look for. So a bare
 * word (outside double quotes) with any character FTS5 barewords do not allow becomes a quoted
 * phrase: `order-1` → `"order-1"` (the phrase "order 1"), `a:b` → `"a:b"`, `order-1*` →
 * `"order-1"*`. Quoted phrases, `AND`/`OR`/`NOT`, parentheses, `NEAR(… , N)` and clean words
 * (`pay`, `pay*`) pass unchanged, so the result means to FTS5 what it means to `compileTextMatch`.
 * A parenthesized group side by side with another operand is joined to it by AND
 * (`joinGroupsWithAnd`), where FTS5 alone reports a syntax error. A `-` that starts a word or a
 * phrase excludes it, as log search boxes (Datadog, Papertrail) and GitHub read it: `timeout
 * -db` → `(timeout AND (NOT db))` (see splitNegation for a NOT with nothing on its left); a lone
 * or doubled hyphen (`- x`, `--verbose`) stays text, and so does `-NEAR(…)`; `-AND`/`-OR`/`-NOT`
 * exclude the word, as `-and`/`-or`/`-not` do.
 * Idempotent. Throws FtsQueryError for an unbalanced `"` or a `*` that ends no word or phrase.
 */
export function normalizeFtsQuery(query: string): string {
  let out = "";
  let inNear = false; // inside NEAR( … ): `,` separates the distance
  let closeExclusion = false; // a `-word` became `(NOT word`: close it after the word
  let i = 0;
  const emit = (text: string) => {
    out += text;
    if (closeExclusion) out += ")";
    closeExclusion = false;
  };
  while (i < query.length) {
    const c = query[i] as string;
    if (c === "-" && !inNear && startsOperand(out) && startsWordOrPhrase(query, i + 1)) {
      // the group keeps an implicit AND beside it from binding inside the NOT: `-b a` is a NOT b
      out += "(NOT ";
      closeExclusion = true;
      i++;
      continue;
    }
    if (SPACE.test(c) || c === "(" || c === ")" || (inNear && c === ",")) {
      if (c === ")") inNear = false;
      out += c;
      i++;
      continue;
    }
    if (c === '"') {
      const end = closingQuote(query, i);
      let phrase = query.slice(i, end + 1);
      i = end + 1;
      if (query[i] === "*" && !isWordChar(query, i + 1, inNear)) {
        phrase += "*"; // `"phrase"*`: a prefix phrase
        i++;
      }
      emit(phrase);
      continue;
    }
    let end = i;
    while (end < query.length && isWordChar(query, end, inNear)) end++;
    const word = query.slice(i, end);
    const call = query[end] === "(" && !inNear ? callEnd(query, end, word) : -1;
    if (call !== -1) {
      // `getUser(id)`: to FTS5 a word followed by `(` is a syntax error unless it is NEAR; in a
      // log it is a call, so the whole of it is a phrase ("getuser id"), its quotes doubled
      const text = query.slice(i, call + 1).replaceAll('"', '""');
      emit(`${out.endsWith('"') ? " " : ""}"${text}"${query[call + 1] === '"' ? " " : ""}`);
      i = call + 1;
      continue;
    }
    i = end;
    if (word === "NEAR" && /^[ \t\n\r]*\(/.test(query.slice(end))) inNear = true;
    // after `-` an operator's name is the word it spells (`-OR` → NOT "OR"), as `-or` is
    emit(
      closeExclusion && OPERATORS.has(word)
        ? `"${word}"`
        : normalizeWord(word, out.endsWith('"'), query[end] === '"'),
    );
  }
  return joinGroupsWithAnd(out);
}

/** Whether an operand may start here: at the start, after whitespace or `(`. */
function startsOperand(out: string): boolean {
  return out.length === 0 || SPACE.test(out.at(-1) as string) || out.endsWith("(");
}

/** Whether a phrase or a word starts at `at` (an operator's name too: `-OR` excludes the word "or"); not a NEAR group. */
function startsWordOrPhrase(query: string, at: number): boolean {
  if (query[at] === '"') return true;
  let end = at;
  while (end < query.length && isBarewordChar(query.charCodeAt(end))) end++;
  const word = query.slice(at, end);
  if (word.length === 0) return false;
  return !(word === "NEAR" && /^[ \t\n\r]*\(/.test(query.slice(end)));
}

function normalizeWord(word: string, afterQuote: boolean, beforeQuote: boolean): string {
  if (OPERATORS.has(word)) return word;
  if (/^\*+$/.test(word)) {
    throw new FtsQueryError('a * must end a word or a "phrase" (prefix search: pay* or "order 1"*)');
  }
  const prefix = word.endsWith("*");
  const body = prefix ? word.slice(0, -1) : word;
  if (isBareword(body)) return word;
  // Spaces keep the new quotes from touching a neighbour's: `""` inside a string is a quote.
  return `${afterQuote ? " " : ""}"${body}"${prefix ? "*" : ""}${beforeQuote ? " " : ""}`;
}

/**
 * Where a call-like word (`name(` with no space) ends: the index of the `)` closing the `(` at
 * `open`, or -1 when `word` is an operator, NEAR or empty, or the parenthesis is never closed
 * (FTS5 then reports its own syntax error).
 */
function callEnd(query: string, open: number, word: string): number {
  if (word.length === 0 || word === "NEAR" || OPERATORS.has(word)) return -1;
  let depth = 0;
  for (let at = open; at < query.length; at++) {
    const c = query[at];
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return at;
  }
  return -1;
}

function isBareword(word: string): boolean {
  for (let i = 0; i < word.length; i++) if (!isBarewordChar(word.charCodeAt(i))) return false;
  return word.length > 0;
}

function isWordChar(query: string, at: number, inNear: boolean): boolean {
  const c = query[at];
  return c !== undefined && !SPACE.test(c) && c !== '"' && c !== "(" && c !== ")" && !(inNear && c === ",");
}

/** The index of the quote closing the string opened at `open` (`""` inside is an escaped quote). */
function closingQuote(query: string, open: number): number {
  let at = open + 1;
  for (;;) {
    const next = query.indexOf('"', at);
    if (next === -1) {
      throw new FtsQueryError(
        'unbalanced double quote (a phrase is "two words"; write "" for a quote inside one)',
      );
    }
    if (query[next + 1] !== '"') return next;
    at = next + 2;
  }
}
