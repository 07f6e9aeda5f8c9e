import { LOG_LEVELS, type LogEntry, type SearchQuery } from "@batchlog/storage";
import { FtsQueryError } from "./fts-query.js";
import { bad } from "./search-params.js";
import { compileTextMatch } from "./text-match.js";

/**
 * What a live-tail subscriber wants to see; `parseSearchQuery`'s result fits as it is.
 * `text` is the search's FTS5 query, matched on each message as the storage's index matches it
 * (see `compileTextMatch`: whole tokens, prefix*, "phrases", NEAR, AND/OR/NOT, parentheses), and
 * `notText` one it must not match;
 * `fields` compares the value's text as search does, `notFields` leaves those values out (an
 * entry without the key stays); `from`/`to` bound the entry timestamp.
 */
export type TailFilter = Pick<
  SearchQuery,
  "levels" | "minLevel" | "sources" | "text" | "notText" | "fields" | "notFields" | "from" | "to"
>;

/**
 * Compiles a filter into a predicate; an empty filter matches every entry. A `text` FTS5 would
 * reject is a BadRequestError naming `q`, the parameter it comes from.
 */
export function compileTailFilter(filter: TailFilter): (entry: LogEntry) => boolean {
  const tests: ((entry: LogEntry) => boolean)[] = [];
  let levels = filter.levels && filter.levels.length > 0 ? new Set(filter.levels) : undefined;
  if (filter.minLevel !== undefined) {
    const min = LOG_LEVELS.indexOf(filter.minLevel);
    levels = new Set(LOG_LEVELS.filter((l, i) => i >= min && (levels === undefined || levels.has(l))));
  }
  if (levels !== undefined) {
    const allowed = levels;
    tests.push((e) => allowed.has(e.level));
  }
  if (filter.sources && filter.sources.length > 0) {
    const sources = new Set(filter.sources);
    tests.push((e) => sources.has(e.source));
  }
  if (filter.text !== undefined && filter.text.trim().length > 0) {
    const matches = compileText(filter.text);
    tests.push((e) => matches(e.message));
  }
  if (filter.notText !== undefined && filter.notText.trim().length > 0) {
    const excluded = compileText(filter.notText);
    tests.push((e) => !excluded(e.message));
  }
  const from = filter.from?.getTime();
  if (from !== undefined) tests.push((e) => e.timestamp.getTime() >= from);
  const to = filter.to?.getTime();
  if (to !== undefined) tests.push((e) => e.timestamp.getTime() < to);
  for (const [key, expected] of Object.entries(filter.fields ?? {})) {
    tests.push((e) => fieldText(ownField(e, key)) === expected);
  }
  for (const [key, excluded] of Object.entries(filter.notFields ?? {})) {
    const values = new Set(excluded);
    tests.push((e) => {
      const text = fieldText(ownField(e, key));
      return text === undefined || !values.has(text);
    });
  }
  return (entry) => tests.every((test) => test(entry));
}

function compileText(text: string): (message: string) => boolean {
  try {
    return compileTextMatch(text);
  } catch (error) {
    if (error instanceof FtsQueryError) throw bad("q", error.message);
    throw error;
  }
}

/** The entry's own field `key`: never what Object.prototype has under that name (toString, __proto__). */
function ownField(entry: LogEntry, key: string): unknown {
  return entry.fields !== null && Object.hasOwn(entry.fields, key) ? entry.fields[key] : undefined;
}

function fieldText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
