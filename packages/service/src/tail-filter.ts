import { LOG_LEVELS, type LogEntry, type SearchQuery } from "@batchlog/storage";
import { compileTextMatch } from "./text-match.js";

/**
 * What a live-tail subscriber wants to see; `parseSearchQuery`'s result fits as it is.
 * `text` approximates the search's FTS query on each message (see `compileTextMatch`: terms are
 * case-insensitive substrings, with phrases, prefix*, AND, OR, NOT); `fields` compares the
 * value's text as search does; `from`/`to` bound the entry timestamp.
 */
export type TailFilter = Pick<
  SearchQuery,
  "levels" | "minLevel" | "sources" | "text" | "fields" | "from" | "to"
>;

/** Compiles a filter into a predicate; an empty filter matches every entry. */
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
    const matches = compileTextMatch(filter.text);
    tests.push((e) => matches(e.message));
  }
  const from = filter.from?.getTime();
  if (from !== undefined) tests.push((e) => e.timestamp.getTime() >= from);
  const to = filter.to?.getTime();
  if (to !== undefined) tests.push((e) => e.timestamp.getTime() < to);
  for (const [key, expected] of Object.entries(filter.fields ?? {})) {
    tests.push((e) => fieldText(e.fields?.[key]) === expected);
  }
  return (entry) => tests.every((test) => test(entry));
}

function fieldText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
