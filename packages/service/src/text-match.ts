/**
 * A live-tail approximation of the search's FTS5 query, evaluated on one message without the
 * index: terms are case-insensitive substrings; `"a phrase"` is one term; a trailing `*` (prefix)
 * is dropped; terms side by side or joined by `AND` must all appear; `NOT term` or `-term` must
 * not appear; `OR` separates alternatives. Parentheses and NEAR are read as plain words.
 */
export function compileTextMatch(query: string): (message: string) => boolean {
  const alternatives: { must: string[]; mustNot: string[] }[] = [{ must: [], mustNot: [] }];
  let negate = false;
  for (const token of tokenize(query)) {
    const current = alternatives[alternatives.length - 1] as { must: string[]; mustNot: string[] };
    if (!token.quoted && token.text === "OR") {
      alternatives.push({ must: [], mustNot: [] });
      negate = false;
      continue;
    }
    if (!token.quoted && token.text === "AND") continue;
    if (!token.quoted && token.text === "NOT") {
      negate = true;
      continue;
    }
    let term = token.text;
    let not = negate;
    negate = false;
    if (!token.quoted && term.startsWith("-") && term.length > 1) {
      not = true;
      term = term.slice(1);
    }
    if (!token.quoted && term.endsWith("*")) term = term.slice(0, -1);
    term = term.toLowerCase();
    if (term.length === 0) continue;
    (not ? current.mustNot : current.must).push(term);
  }
  const groups = alternatives.filter((a) => a.must.length > 0 || a.mustNot.length > 0);
  if (groups.length === 0) return () => true;
  return (message) => {
    const text = message.toLowerCase();
    return groups.some(
      (g) => g.must.every((t) => text.includes(t)) && !g.mustNot.some((t) => text.includes(t)),
    );
  };
}

function* tokenize(query: string): Generator<{ text: string; quoted: boolean }> {
  const pattern = /"([^"]*)"?|(\S+)/g;
  for (const match of query.matchAll(pattern)) {
    if (match[1] !== undefined) yield { text: match[1], quoted: true };
    else if (match[2] !== undefined) yield { text: match[2], quoted: false };
  }
}
