// The explorer's query: parsed from and written to the page URL, turned into API parameters.
import { LEVELS, type Level } from "./api";

export const PRESETS = {
  "15m": 15 * 60_000,
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
} as const;
export type Preset = keyof typeof PRESETS;
export const DEFAULT_PRESET: Preset = "1h";

export type TimeRange = { preset: Preset } | { from: number; to: number };

export interface Query {
  q: string;
  levels: Level[]; // empty = every level
  sources: string[];
  fields: Array<[string, string]>;
  range: TimeRange;
  live: boolean;
}

export function emptyQuery(): Query {
  return { q: "", levels: [], sources: [], fields: [], range: { preset: DEFAULT_PRESET }, live: false };
}

const splitList = (v: string | null) =>
  (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function parseTime(v: string | null): number | null {
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

export function parseQuery(search: string): Query {
  const p = new URLSearchParams(search);
  const query = emptyQuery();
  query.q = p.get("q") ?? "";
  const levels = splitList(p.get("level")).filter((l): l is Level =>
    (LEVELS as readonly string[]).includes(l),
  );
  query.levels = levels.length === LEVELS.length ? [] : LEVELS.filter((l) => levels.includes(l));
  query.sources = [...new Set(splitList(p.get("source")))];
  for (const [k, v] of p) {
    if (k.startsWith("field.") && k.length > 6) query.fields.push([k.slice(6), v]);
  }
  const from = parseTime(p.get("from"));
  const to = parseTime(p.get("to"));
  const range = p.get("range");
  if (from !== null && to !== null && from < to) query.range = { from, to };
  else if (range && range in PRESETS) query.range = { preset: range as Preset };
  query.live = p.get("live") === "1";
  return query;
}

/** The page URL's query string (stable parameter order so equal queries give equal URLs). */
export function queryToSearch(query: Query): string {
  const p = new URLSearchParams();
  if (query.q) p.set("q", query.q);
  if (query.levels.length) p.set("level", query.levels.join(","));
  if (query.sources.length) p.set("source", query.sources.join(","));
  for (const [k, v] of query.fields) p.append(`field.${k}`, v);
  if ("preset" in query.range) {
    if (query.range.preset !== DEFAULT_PRESET) p.set("range", query.range.preset);
  } else {
    p.set("from", new Date(query.range.from).toISOString());
    p.set("to", new Date(query.range.to).toISOString());
  }
  if (query.live) p.set("live", "1");
  const s = p.toString();
  return s ? `?${s}` : "";
}

export function resolveRange(range: TimeRange, now = Date.now()): { from: number; to: number } {
  if ("preset" in range) return { from: now - PRESETS[range.preset], to: now };
  return { from: range.from, to: range.to };
}

/** Filter parameters shared by search, tail (no time window) and stats. */
export function filterParams(query: Query): URLSearchParams {
  const p = new URLSearchParams();
  if (query.q.trim()) p.set("q", query.q.trim());
  if (query.levels.length) p.set("level", query.levels.join(","));
  if (query.sources.length) p.set("source", query.sources.join(","));
  for (const [k, v] of query.fields) p.append(`field.${k}`, v);
  return p;
}

const NICE_BUCKETS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** A round bucket size giving at most `maxBuckets` bars over the span. */
export function pickBucket(spanMs: number, maxBuckets = 120): number {
  for (const b of NICE_BUCKETS) if (spanMs / b <= maxBuckets) return b;
  return Math.ceil(spanMs / maxBuckets / 86_400_000) * 86_400_000;
}

/**
 * Parses "key=value", or "key!=value" (an exclusion: the key is kept as "key!", as the URL
 * parameter `field.key!` names it); the value may contain '='. Null when there is no key.
 */
export function parseFieldFilter(text: string): [string, string] | null {
  const i = text.indexOf("=");
  if (i <= 0) return null;
  const key = text.slice(0, i).trim().replace(/\s+!$/, "!");
  const value = text.slice(i + 1).trim();
  return key && key !== "!" ? [key, value] : null;
}

/**
 * The field filters with one more: a filter replaces the one on its key (one value per key), an
 * exclusion ("key!") adds to the key's others; either drops its opposite (key=v against key!=v).
 */
export function withFieldFilter(
  fields: Array<[string, string]>,
  [key, value]: [string, string],
): Array<[string, string]> {
  const excluded = key.endsWith("!");
  const opposite = excluded ? key.slice(0, -1) : `${key}!`;
  const kept = fields.filter(
    ([k, v]) => !(k === opposite && v === value) && (excluded ? !(k === key && v === value) : k !== key),
  );
  return [...kept, [key, value]];
}
