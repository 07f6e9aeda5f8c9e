import { type FtsNode, type FtsPhrase, parseFtsExpression } from "./fts-expression.js";
import { normalizeFtsQuery } from "./fts-query.js";
import { tokenizeUnicode61 } from "./unicode61.js";

/**
 * The search's full-text query evaluated on one message without the index, so that the live
 * tail delivers exactly the entries a search would find: the query is normalized as
 * `parseSearchQuery` does (`normalizeFtsQuery`), parsed with FTS5's grammar and precedence
 * (`parseFtsExpression`), and matched against the message's tokens as the FTS5 `unicode61`
 * tokenizer makes them (`tokenizeUnicode61`): a term matches a whole token, `term*` a token it
 * starts, `"a b"` consecutive tokens, `NEAR(a b, N)` phrases at most N tokens apart.
 * test/tail-text-match.test.ts checks it against the storage's real FTS5 index.
 * Throws FtsQueryError for a query FTS5 would reject; with `bareNot`, a NOT with nothing on its
 * left is "every message but" (what the search makes of it with `notText`: see splitNegation).
 */
export function compileTextMatch(query: string, { bareNot = false } = {}): (message: string) => boolean {
  const tree = parseFtsExpression(normalizeFtsQuery(query), { bareNot });
  return (message) => matches(tree, tokenizeUnicode61(message));
}

function matches(node: FtsNode, tokens: readonly string[]): boolean {
  switch (node.kind) {
    case "nothing":
      return false;
    case "everything":
      return true;
    case "and":
      return matches(node.left, tokens) && matches(node.right, tokens);
    case "or":
      return matches(node.left, tokens) || matches(node.right, tokens);
    case "not":
      return matches(node.left, tokens) && !matches(node.right, tokens);
    case "near":
      return nearMatches(node.phrases, node.distance, tokens);
  }
}

/**
 * FTS5's NEAR test (fts5ExprNearIsMatch): some instance of each phrase, such that every one
 * starts no more than its own length + `distance` tokens before the last of them starts. Each
 * token position that starts some phrase is tried as that last start, in ascending order, with
 * a pointer per phrase to its latest start at or before it (the closest one can be): linear in
 * tokens × phrases. Trying every start against every other start, as before, was quadratic in
 * the message: one 16 KB line of repeated words against a 16-phrase NEAR held the event loop 2 s.
 */
function nearMatches(phrases: readonly FtsPhrase[], distance: number, tokens: readonly string[]): boolean {
  const starts = phrases.map((phrase) => phraseStarts(phrase, tokens));
  if (starts.some((s) => s.length === 0)) return false;
  if (phrases.length === 1) return true;
  const startsHere = new Uint8Array(tokens.length);
  for (const list of starts) for (const at of list) startsHere[at] = 1;
  const pointers = new Array<number>(phrases.length).fill(0);
  for (let last = 0; last < tokens.length; last++) {
    if (startsHere[last] === 0) continue;
    let all = true;
    for (let i = 0; i < phrases.length && all; i++) {
      const list = starts[i] as number[];
      let k = pointers[i] as number;
      while (k < list.length && (list[k] as number) <= last) k++;
      pointers[i] = k;
      const latest = k === 0 ? -1 : (list[k - 1] as number);
      all = latest >= 0 && latest >= last - (phrases[i] as FtsPhrase).terms.length - distance;
    }
    if (all) return true;
  }
  return false;
}

function phraseStarts({ terms, prefix }: FtsPhrase, tokens: readonly string[]): number[] {
  const starts: number[] = [];
  const lastTerm = terms.length - 1;
  for (let at = 0; at + terms.length <= tokens.length; at++) {
    let found = true;
    for (let k = 0; k <= lastTerm && found; k++) {
      const token = tokens[at + k] as string;
      const term = terms[k] as string;
      found = prefix && k === lastTerm ? token.startsWith(term) : token === term;
    }
    if (found) starts.push(at);
  }
  return starts;
}
