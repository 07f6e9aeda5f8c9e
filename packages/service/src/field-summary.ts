import type { LogEntry, LogStorage } from "@batchlog/storage";
import { bad, integerParam, MAX_LIMIT, parseSearchQuery } from "./search-params.js";

/** Entries summed up when `sample` is not given: the newest page a search can return. */
export const DEFAULT_FIELD_SAMPLE = MAX_LIMIT;
/** Keys listed at most, and values per key: what a suggestion list can show. */
const MAX_KEYS = 100;
const MAX_VALUES = 10;
/** Values longer than this are not offered (a stack trace is not a filter anyone types). */
const MAX_VALUE_CHARS = 200;
/**
 * A key seen this often with a different value every time is an identifier (request and trace
 * ids): its values are not offered, each would match one entry (the entry's own detail offers
 * its value as a filter).
 */
const IDENTIFIER_AFTER = 20;

export interface FieldValueCount {
  /** As a `field.KEY=VALUE` filter matches it: text, a number as JSON writes it, true/false. */
  value: string;
  count: number;
}

export interface FieldSummary {
  key: string;
  /** Sampled entries that have the key. */
  count: number;
  /**
   * The most frequent filterable values, most frequent first (ties: first seen, newest first);
   * none for an identifier (a different value in each of 20 or more entries).
   */
  values: FieldValueCount[];
  /** Distinct filterable values seen for the key in the sample. */
  distinct: number;
}

export interface FieldSummaries {
  /** Entries the summary was made from: the newest `sample` matches of the filters. */
  sampled: number;
  /** True when more entries match than were sampled. */
  partial: boolean;
  /** Top-level `fields` keys, most common first (at most 100). */
  fields: FieldSummary[];
}

/**
 * The `fields` keys of a search's newest matches, and their most frequent values: what a log
 * explorer suggests as filters (Kibana's field list, Grafana's detected fields). Parameters are a
 * search's (q, level, minLevel, source, from, to, field.KEY) and `sample` (1–1000, default 1000):
 * one page of the search, so the cost is a page's whatever the store's size. Values are given as a
 * `field.KEY=VALUE` filter compares them; objects, arrays and null are counted under their key but
 * not offered as values.
 */
export async function summarizeFields(
  storage: LogStorage,
  params: URLSearchParams,
  now: number,
): Promise<FieldSummaries> {
  for (const name of ["limit", "cursor"]) {
    if (params.has(name)) throw bad(name, "a field summary reads one sample: size it with sample=");
  }
  const sample = integerParam(params, "sample", 1, MAX_LIMIT) ?? DEFAULT_FIELD_SAMPLE;
  const page = await storage.search({ ...parseSearchQuery(params, now), limit: sample });
  return {
    sampled: page.entries.length,
    partial: page.nextCursor !== undefined,
    fields: tally(page.entries),
  };
}

function tally(entries: LogEntry[]): FieldSummary[] {
  const keys = new Map<string, { count: number; values: Map<string, number> }>();
  for (const entry of entries) {
    for (const [key, raw] of Object.entries(entry.fields ?? {})) {
      let stats = keys.get(key);
      if (stats === undefined) {
        stats = { count: 0, values: new Map() };
        keys.set(key, stats);
      }
      stats.count++;
      const value = filterValue(raw);
      if (value !== undefined) stats.values.set(value, (stats.values.get(value) ?? 0) + 1);
    }
  }
  // stable sorts: equal counts keep the order first seen, newest entries first
  return [...keys]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, MAX_KEYS)
    .map(([key, { count, values }]) => ({
      key,
      count,
      values:
        values.size >= IDENTIFIER_AFTER && values.size === count
          ? []
          : [...values]
              .sort((a, b) => b[1] - a[1])
              .slice(0, MAX_VALUES)
              .map(([value, n]) => ({ value, count: n })),
      distinct: values.size,
    }));
}

/**
 * A value as `field.KEY=VALUE` matches it (as the entry shows it), or undefined when it is not
 * offered: objects, arrays and null (nobody types those) and long text.
 */
function filterValue(raw: unknown): string | undefined {
  if (typeof raw === "string") return raw.length <= MAX_VALUE_CHARS ? raw : undefined;
  if (typeof raw === "boolean" || typeof raw === "number") return String(raw);
  return undefined;
}
