// A client-side approximation of SQLite FTS5 matching (unicode61 tokens, phrases, prefix*, AND/OR/NOT,
// parentheses), used to filter live-tail entries with the same query as the search. The tail route's
// own `q` is a plain substring, so the page filters tail entries itself instead.

type Node =
  | { kind: "phrase"; tokens: string[]; prefix: boolean }
  | { kind: "and" | "or"; nodes: Node[] }
  | { kind: "not"; left: Node; right: Node };

/** unicode61-like tokens: runs of letters and digits, lower-cased. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}\p{Co}]+/gu) ?? [];
}

type Lexeme = { t: "(" | ")" | "AND" | "OR" | "NOT" } | { t: "phrase"; text: string; prefix: boolean };

function lex(query: string): Lexeme[] {
  const out: Lexeme[] = [];
  const re = /\s*(?:(\()|(\))|"((?:[^"]|"")*)"(\*)?|([^\s()"]+))/gy;
  let m: RegExpExecArray | null = re.exec(query);
  while (m !== null && m[0] !== "") {
    if (m[1]) out.push({ t: "(" });
    else if (m[2]) out.push({ t: ")" });
    else if (m[3] !== undefined) out.push({ t: "phrase", text: m[3].replace(/""/g, '"'), prefix: !!m[4] });
    else if (m[5]) {
      const word = m[5];
      if (word === "AND" || word === "OR" || word === "NOT") out.push({ t: word });
      else {
        // drop a column filter ("message:") and a leading "^"
        const bare = word.replace(/^[\w]+:/, "").replace(/^\^/, "");
        out.push({ t: "phrase", text: bare.replace(/\*$/, ""), prefix: bare.endsWith("*") });
      }
    }
    m = re.exec(query);
  }
  return out;
}

function parse(lexemes: Lexeme[]): Node | null {
  let i = 0;
  const peek = () => lexemes[i];
  function primary(): Node | null {
    const l = lexemes[i++];
    if (!l) return null;
    if (l.t === "(") {
      const n = orExpr();
      if (peek()?.t === ")") i++;
      return n;
    }
    if (l.t === "phrase") return { kind: "phrase", tokens: tokenize(l.text), prefix: l.prefix };
    return null;
  }
  function notExpr(): Node | null {
    let left = primary();
    while (left && peek()?.t === "NOT") {
      i++;
      const right = primary();
      if (!right) return null;
      left = { kind: "not", left, right };
    }
    return left;
  }
  function andExpr(): Node | null {
    const nodes: Node[] = [];
    for (;;) {
      const n = notExpr();
      if (!n) return null;
      nodes.push(n);
      const next = peek();
      if (next?.t === "AND") i++;
      else if (!next || next.t === "OR" || next.t === ")") break;
    }
    return nodes.length === 1 ? nodes[0]! : { kind: "and", nodes };
  }
  function orExpr(): Node | null {
    const nodes: Node[] = [];
    for (;;) {
      const n = andExpr();
      if (!n) return null;
      nodes.push(n);
      if (peek()?.t !== "OR") break;
      i++;
    }
    return nodes.length === 1 ? nodes[0]! : { kind: "or", nodes };
  }
  const root = orExpr();
  return i === lexemes.length ? root : null;
}

function matchPhrase(tokens: string[], words: string[], prefix: boolean): boolean {
  if (!words.length) return true;
  outer: for (let s = 0; s + words.length <= tokens.length; s++) {
    for (let k = 0; k < words.length; k++) {
      const tok = tokens[s + k]!;
      const w = words[k]!;
      const last = k === words.length - 1;
      if (!(tok === w || (last && prefix && tok.startsWith(w)))) continue outer;
    }
    return true;
  }
  return false;
}

function evaluate(node: Node, tokens: string[]): boolean {
  switch (node.kind) {
    case "phrase":
      return matchPhrase(tokens, node.tokens, node.prefix);
    case "and":
      return node.nodes.every((n) => evaluate(n, tokens));
    case "or":
      return node.nodes.some((n) => evaluate(n, tokens));
    case "not":
      return evaluate(node.left, tokens) && !evaluate(node.right, tokens);
  }
}

/** A predicate over messages for an FTS5 query; null when the query is empty or not understood. */
export function compileMatcher(query: string): ((message: string) => boolean) | null {
  if (!query.trim()) return null;
  const root = parse(lex(query));
  if (!root) return null;
  return (message) => evaluate(root, tokenize(message));
}
