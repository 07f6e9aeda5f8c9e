import type { ContextQuery } from "@batchlog/storage";
import { bad, integerParam, MAX_LIMIT, parseSearchQuery } from "./search-params.js";

/**
 * Reads a context request: the entry's id from the path, `before` (older entries) and `after`
 * (newer ones), 0–1000 each (absent: the storage's DEFAULT_CONTEXT, 10), and the neighbours'
 * filters as a search reads them (q, level, minLevel, source, from, to, field.KEY). `limit` and
 * `cursor` belong to search pages: given here they are a 400 pointing to before/after rather
 * than ignored.
 */
export function parseContextQuery(id: string, params: URLSearchParams, now: number): ContextQuery {
  for (const name of ["limit", "cursor"]) {
    if (params.has(name)) throw bad(name, "a context has no pages: ask for more with before= and after=");
  }
  const query: ContextQuery = { ...parseSearchQuery(params, now), id: entryId(id) };
  const before = integerParam(params, "before", 0, MAX_LIMIT);
  if (before !== undefined) query.before = before;
  const after = integerParam(params, "after", 0, MAX_LIMIT);
  if (after !== undefined) query.after = after;
  return query;
}

function entryId(value: string): number {
  const id = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!(id >= 1)) throw bad("id", "must be an entry id (a positive integer)");
  return id;
}
