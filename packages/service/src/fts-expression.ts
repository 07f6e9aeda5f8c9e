import { FtsQueryError, type FtsToken, lexFtsQuery } from "./fts-lexer.js";
import { tokenizeUnicode61 } from "./unicode61.js";

/** A run of consecutive tokens; with `prefix`, the last one only has to start with its term. */
export interface FtsPhrase {
  terms: string[];
  prefix: boolean;
}

/**
 * A parsed FTS5 query. `near` is a phrase (one phrase, no distance) or a NEAR group; `nothing`
 * is what FTS5 makes of a phrase without tokens (`""`, `"-"`): it matches no row. `everything`
 * is the missing left side of a NOT that starts an operand (`NOT a`, `x AND NOT a`): not FTS5
 * syntax, parsed only with `bareNot` (see fts-negation.ts).
 */
export type FtsNode =
  | { kind: "near"; phrases: FtsPhrase[]; distance: number }
  | { kind: "nothing" }
  | { kind: "everything" }
  | { kind: "and" | "or" | "not"; left: FtsNode; right: FtsNode };

type Token = FtsToken;

const NEAR_DEFAULT_DISTANCE = 10;

/**
 * Parses FTS5's query syntax as SQLite 3.45's fts5parse.y does, for the queries
 * `normalizeFtsQuery` lets through (no column filters, `^` or `+`): precedence NOT over AND over
 * OR, all left-associative; words side by side are an implicit AND that binds tighter still
 * (`a NOT b c` is `a NOT (b AND c)`) and never touches a parenthesis (`(a) b` is an error); a
 * word followed by `(` must be `NEAR`. Empty phrases are dropped from an implicit AND and from a
 * NEAR group, as FTS5 drops them. Throws FtsQueryError where FTS5 reports a syntax error, except
 * that with `bareNot` a NOT where an operand should be reads as "everything NOT …".
 */
export function parseFtsExpression(query: string, { bareNot = false } = {}): FtsNode {
  const tokens = lexFtsQuery(query);
  let at = 0;
  const peek = (): Token => tokens[at] as Token;
  const next = (): Token => tokens[at++] as Token;
  const syntaxError = () => new FtsQueryError("syntax error in the full-text query");

  const binary = (kind: "OR" | "AND" | "NOT", operand: () => FtsNode) => (): FtsNode => {
    let left: FtsNode =
      bareNot && kind === "NOT" && peek().kind === "NOT" ? { kind: "everything" } : operand();
    while (peek().kind === kind) {
      next();
      left = { kind: kind === "OR" ? "or" : kind === "AND" ? "and" : "not", left, right: operand() };
    }
    return left;
  };
  const primary = (): FtsNode => {
    const token = peek();
    if (token.kind === "(") {
      next();
      const inner = or();
      if (next().kind !== ")") throw syntaxError();
      return inner;
    }
    if (token.kind !== "string") throw syntaxError();
    const members: FtsNode[] = [];
    while (peek().kind === "string") members.push(nearset());
    return implicitAnd(members);
  };
  const not = binary("NOT", primary);
  const and = binary("AND", not);
  const or = binary("OR", and);

  const phrase = (): FtsPhrase => {
    const token = next();
    if (token.kind !== "string") throw syntaxError();
    const prefix = peek().kind === "*";
    if (prefix) next();
    return { terms: tokenizeUnicode61(token.text), prefix };
  };
  const nearset = (): FtsNode => {
    const token = peek();
    if (tokens[at + 1]?.kind !== "(") return near([phrase()], NEAR_DEFAULT_DISTANCE);
    if (token.kind !== "string" || !token.bare || token.text !== "NEAR") throw syntaxError();
    next();
    next();
    const phrases: FtsPhrase[] = [];
    while (peek().kind === "string") phrases.push(phrase());
    if (phrases.length === 0) throw syntaxError();
    let distance = NEAR_DEFAULT_DISTANCE;
    if (peek().kind === ",") {
      next();
      const n = next();
      if (n.kind !== "string" || !n.bare || !/^[0-9]+$/.test(n.text)) {
        throw new FtsQueryError("NEAR: expected an integer distance after the comma");
      }
      // FTS5 accumulates the digits in a C int
      distance = [...n.text].reduce((d, digit) => (Math.imul(d, 10) + Number(digit)) | 0, 0);
    }
    if (next().kind !== ")") throw syntaxError();
    return near(phrases, distance);
  };

  const tree = or();
  if (peek().kind !== "end") throw syntaxError();
  return tree;
}

function near(phrases: FtsPhrase[], distance: number): FtsNode {
  const nonEmpty = phrases.filter((p) => p.terms.length > 0);
  return nonEmpty.length === 0 ? { kind: "nothing" } : { kind: "near", phrases: nonEmpty, distance };
}

function implicitAnd(members: FtsNode[]): FtsNode {
  const kept = members.filter((m) => m.kind !== "nothing");
  const [first, ...rest] = kept;
  if (first === undefined) return { kind: "nothing" };
  return rest.reduce<FtsNode>((left, right) => ({ kind: "and", left, right }), first);
}
