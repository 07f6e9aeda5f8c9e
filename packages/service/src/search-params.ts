import { type LogLevel, parseLevel, type SearchQuery } from "@batchlog/storage";
import { clip } from "./clip.js";
import { BadRequestError } from "./errors.js";
import { type FtsToken, lexFtsQuery } from "./fts-lexer.js";
import { splitNegation, type TextFilter } from "./fts-negation.js";
import { FtsQueryError, normalizeFtsQuery } from "./fts-query.js";
import { setOwn } from "./own-key.js";
import { parseTimeParam } from "./time-param.js";

export const MAX_LIMIT = 1000;
const MAX_TEXT_CHARS = 1024;
const MAX_SOURCE_CHARS = 256;
/**
 * FTS5 reads every index entry under each prefix term and each term's whole list of matches, once
 * per occurrence; the reader thread runs one query at a time. On 300k entries each `a*` cost
 * ~30 ms, so 1 KB of `a* a* …` (204 of them) held every search for 12–15 s. These bounds keep the
 * worst q under a second there (8 prefixes: 0.25 s a page, 0.6 s for stats) and far above what
 * people type.
 */
const MAX_PREFIX_TERMS = 8;
const MAX_TEXT_WORDS = 64;
/** Each field.KEY filter is one more json_extract per row; SQLite fails past ~1000 (a 500). */
const MAX_FIELD_FILTERS = 32;

/**
 * Reads a search from URL parameters:
 * - `q`: full-text query (FTS5: words, "phrases", prefix*, AND/OR/NOT), normalized so that a word
 *   holding punctuation is a phrase (`order-1` → `"order-1"`: see normalizeFtsQuery); a NOT with
 *   nothing on its left is "every entry but": `NOT healthcheck` becomes `notText`, `timeout AND
 *   NOT db` FTS5's `("timeout") NOT ("db")` (see splitNegation);
 * - `level`: levels, comma-separated and/or repeated (aliases accepted); `minLevel`: a floor;
 * - `source`: sources, comma-separated and/or repeated;
 * - `from` (inclusive) / `to` (exclusive): ISO-8601, epoch ms, `now`, or `15m`/`1h`/`7d` before now;
 * - `field.KEY=VALUE`: exact match on a top-level key of `fields` (repeat for several keys);
 *   `field.KEY!=VALUE` leaves out the entries where it has that value (repeat for several values;
 *   entries without the key stay), so a key whose name ends in `!` cannot be filtered on;
 * - `limit`: 1–1000 (storage default 100); `cursor`: the `nextCursor` of the previous page.
 * Unknown parameters are ignored (clients add their own, such as cache busters), except near
 * misses of `field.KEY` (`fields.KEY`, `field_KEY`…), which would silently match everything.
 * Throws a BadRequestError naming the parameter on a bad value.
 */
export function parseSearchQuery(params: URLSearchParams, now: number = Date.now()): SearchQuery {
  const query: SearchQuery = {};
  const q = single(params, "q");
  if (q !== undefined && q.trim().length > 0) {
    if (q.length > MAX_TEXT_CHARS) throw bad("q", `longer than ${MAX_TEXT_CHARS} characters`);
    Object.assign(query, textParam(q));
  }
  const levels = listParam(params, "level").map((name) => levelParam("level", name));
  if (levels.length > 0) query.levels = [...new Set(levels)];
  const minLevel = single(params, "minLevel");
  // with level too, the two intersect (level=debug,warn,fatal&minLevel=warn: warn and fatal)
  if (minLevel !== undefined && minLevel.trim() !== "") query.minLevel = levelParam("minLevel", minLevel);
  const sources = listParam(params, "source");
  for (const source of sources) {
    if (source.length > MAX_SOURCE_CHARS) throw bad("source", `longer than ${MAX_SOURCE_CHARS} characters`);
  }
  if (sources.length > 0) query.sources = [...new Set(sources)];
  const from = single(params, "from");
  if (from !== undefined && from.trim() !== "") query.from = parseTimeParam("from", from, now);
  const to = single(params, "to");
  if (to !== undefined && to.trim() !== "") query.to = parseTimeParam("to", to, now);
  if (query.from && query.to && query.from.getTime() > query.to.getTime()) {
    throw new BadRequestError("from: must not be after to", { param: "from" });
  }
  const { fields, notFields } = fieldParams(params);
  if (fields !== undefined) query.fields = fields;
  if (notFields !== undefined) query.notFields = notFields;
  const limit = single(params, "limit");
  if (limit !== undefined) query.limit = checkedInteger("limit", limit, 1, MAX_LIMIT);
  const cursor = single(params, "cursor");
  if (cursor !== undefined && cursor.length > 0) {
    if (cursor.length > 256 || !/^[A-Za-z0-9_-]+={0,2}$/.test(cursor))
      throw bad("cursor", "not a valid cursor");
    query.cursor = cursor;
  }
  return query;
}

function textParam(q: string): TextFilter {
  let text: string;
  let tokens: FtsToken[];
  let filter: TextFilter;
  try {
    text = normalizeFtsQuery(q);
    tokens = lexFtsQuery(text);
    filter = splitNegation(text);
  } catch (error) {
    if (error instanceof FtsQueryError) throw bad("q", error.message);
    throw error;
  }
  const prefixes = tokens.filter((t) => t.kind === "*").length;
  if (prefixes > MAX_PREFIX_TERMS) {
    throw bad("q", `${prefixes} prefix searches (word*); at most ${MAX_PREFIX_TERMS}`);
  }
  let words = 0;
  for (const token of tokens) if (token.kind === "string") words += wordCount(token.text);
  if (words > MAX_TEXT_WORDS) throw bad("q", `${words} words; at most ${MAX_TEXT_WORDS}`);
  return filter;
}

/** Words of a bareword or phrase as the index splits them (a phrase costs one lookup per word). */
function wordCount(text: string): number {
  return Math.max(1, text.split(/[^\p{L}\p{N}_]+/u).filter((w) => w.length > 0).length);
}

/** `limit` for recent(): an integer from 1 to `max`; `fallback` when absent. */
export function parseLimit(params: URLSearchParams, fallback: number, max: number = MAX_LIMIT): number {
  return integerParam(params, "limit", 1, max) ?? fallback;
}

/** An integer parameter from `min` to `max` (a 400 naming it otherwise); undefined when absent. */
export function integerParam(
  params: URLSearchParams,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = single(params, name);
  return value === undefined ? undefined : checkedInteger(name, value, min, max);
}

function checkedInteger(param: string, value: string, min: number, max: number): number {
  const n = /^\s*\d{1,7}\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw bad(param, `must be an integer from ${min} to ${max}`);
  }
  return n;
}

function levelParam(param: string, name: string): LogLevel {
  const level = parseLevel(name);
  if (level === undefined) {
    throw bad(param, `unknown level "${clip(name)}" (trace, debug, info, warn, error, fatal)`);
  }
  return level;
}

function fieldParams(params: URLSearchParams): Pick<SearchQuery, "fields" | "notFields"> {
  let fields: Record<string, string> | undefined;
  let notFields: Record<string, string[]> | undefined;
  let count = 0;
  for (const [name, value] of params) {
    // a near miss of field.KEY would otherwise be ignored like any unknown parameter: all entries
    const typo = /^(fields?|f)[.:[_]/i.exec(name);
    if (typo !== null && !name.startsWith("field.")) {
      throw bad(
        name,
        `unknown parameter: a fields filter is field.KEY=VALUE (field.${name.slice(typo[0].length).replace(/]$/, "")})`,
      );
    }
    if (!name.startsWith("field.")) continue;
    const excluded = name.endsWith("!");
    const key = name.slice("field.".length, excluded ? -1 : undefined);
    if (key.length === 0 || key.length > 256)
      throw bad(name, "the field name after 'field.' must be 1–256 characters");
    // own keys only: field.__proto__ or field.toString! are keys like any other, not the object's
    if (excluded) {
      notFields ??= {};
      setOwn(notFields, key, [...(Object.hasOwn(notFields, key) ? (notFields[key] as string[]) : []), value]);
    } else {
      fields ??= {};
      if (Object.hasOwn(fields, key)) throw bad(name, "given more than once");
      setOwn(fields, key, value);
    }
    if (++count > MAX_FIELD_FILTERS) throw bad("field.KEY", `more than ${MAX_FIELD_FILTERS} fields filters`);
  }
  return { ...(fields && { fields }), ...(notFields && { notFields }) };
}

/** A parameter that may appear at most once. */
export function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw bad(name, "given more than once");
  return values[0];
}

/** A list parameter: comma-separated values and/or the parameter repeated; blanks dropped. */
export function listParam(params: URLSearchParams, name: string): string[] {
  return params
    .getAll(name)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export function bad(param: string, reason: string): BadRequestError {
  return new BadRequestError(`${param}: ${reason}`, { param });
}
