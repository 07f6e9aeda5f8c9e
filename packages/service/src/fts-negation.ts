import { type FtsNode, type FtsPhrase, parseFtsExpression } from "./fts-expression.js";
import { FtsQueryError, lexFtsQuery } from "./fts-lexer.js";

/** A full-text filter as the storage takes it: messages matching `text` and not `notText`. */
export interface TextFilter {
  text?: string;
  notText?: string;
}

/**
 * Rewrites a query in which a NOT has nothing on its left (`NOT healthcheck`, `timeout AND NOT
 * db`, `(NOT a) b`) as what a message must match and what it must not. FTS5 has no "every row
 * but" (its NOT needs a left side), and excluding noise is what log searches do most (Loki's
 * `!=`). The missing left side reads as "every message", with FTS5's precedence otherwise:
 * `NOT a NOT b` excludes both, `NOT a b` excludes messages with a and b, `NOT a OR b` keeps
 * everything but the a's without b. When words are needed too, the result is FTS5's own
 * `(words) NOT (excluded)` in `text`, which the index answers from both lists at once (a term in
 * 6% of 1M rows without a query in 88% of them: 4.1 ms a page, against 118 ms as `text` beside
 * `notText`); a query that only excludes is `notText`. A query whose every NOT has a left side is
 * returned as it is. Takes `normalizeFtsQuery`'s output; throws FtsQueryError for a combination
 * the pair cannot express (an OR between two halves that each need words, `a NOT b OR NOT c` …
 * see `split`).
 */
export function splitNegation(query: string): TextFilter {
  if (!hasBareNot(query)) return { text: query };
  const { include, exclude } = split(parseFtsExpression(query, { bareNot: true }));
  if (include === null) return exclude === null ? {} : { notText: serialize(exclude) };
  const kept: FtsNode = exclude === null ? include : { kind: "not", left: include, right: exclude };
  return { text: serialize(kept) };
}

/** Whether some NOT stands where an operand should: first, or after `(`, AND or OR. */
function hasBareNot(query: string): boolean {
  const tokens = lexFtsQuery(query);
  return tokens.some(
    (token, i) =>
      token.kind === "NOT" && (i === 0 || ["(", "AND", "OR"].includes(tokens[i - 1]?.kind as string)),
  );
}

/** `include` AND NOT `exclude`; null `include` is every message, null `exclude` none. */
interface Split {
  include: FtsNode | null;
  exclude: FtsNode | null;
}

function split(node: FtsNode): Split {
  if (!mentionsEverything(node)) return { include: node, exclude: null };
  switch (node.kind) {
    case "everything":
      return { include: null, exclude: null };
    case "not": {
      if (mentionsEverything(node.right)) {
        throw new FtsQueryError("NOT (NOT …) cannot be searched: name the words to keep without NOT");
      }
      const left = split(node.left);
      return { include: left.include, exclude: either(left.exclude, node.right) };
    }
    case "and": {
      const left = split(node.left);
      const right = split(node.right);
      return { include: both(left.include, right.include), exclude: either(left.exclude, right.exclude) };
    }
    case "or":
      return splitOr(split(node.left), split(node.right));
    default:
      throw new Error(`unreachable: ${node.kind} mentions nothing`);
  }
}

/**
 * (everything but A) OR (everything but B) is everything but (A AND B); (everything but A) OR X
 * is everything but (A NOT X). Past that (`a NOT b OR NOT c`) an OR would need two pairs.
 */
function splitOr(left: Split, right: Split): Split {
  const [open, other] = left.include === null ? [left, right] : [right, left];
  if (open.include === null && other.include === null) {
    return { include: null, exclude: both(open.exclude, other.exclude) };
  }
  if (open.include === null && other.exclude === null && other.include !== null) {
    return {
      include: null,
      exclude: open.exclude && { kind: "not", left: open.exclude, right: other.include },
    };
  }
  throw new FtsQueryError(
    "OR between two searches that each need words and exclude others cannot be searched: split it into two searches",
  );
}

function both(a: FtsNode | null, b: FtsNode | null): FtsNode | null {
  return a === null ? b : b === null ? a : { kind: "and", left: a, right: b };
}

function either(a: FtsNode | null, b: FtsNode | null): FtsNode | null {
  return a === null ? b : b === null ? a : { kind: "or", left: a, right: b };
}

function mentionsEverything(node: FtsNode): boolean {
  switch (node.kind) {
    case "everything":
      return true;
    case "and":
    case "or":
    case "not":
      return mentionsEverything(node.left) || mentionsEverything(node.right);
    default:
      return false;
  }
}

/** FTS5 query text for a tree without `everything`; phrases as the tokens they were parsed into. */
function serialize(node: FtsNode): string {
  switch (node.kind) {
    case "nothing":
      return '""';
    case "near":
      return node.phrases.length === 1
        ? phrase(node.phrases[0] as FtsPhrase)
        : `NEAR(${node.phrases.map(phrase).join(" ")}, ${node.distance})`;
    case "and":
    case "or":
    case "not":
      return `(${serialize(node.left)}) ${node.kind.toUpperCase()} (${serialize(node.right)})`;
    case "everything":
      throw new Error("unreachable: everything is split off first");
  }
}

/** Tokens hold no `"` (the tokenizer splits there), so a quoted phrase needs no escaping. */
function phrase({ terms, prefix }: FtsPhrase): string {
  return `"${terms.join(" ")}"${prefix ? "*" : ""}`;
}
