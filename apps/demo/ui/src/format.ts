// Small formatting helpers (pure, no DOM state).
import type { LogEntry } from "./api";
import { entryTime } from "./api";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

let utc = false;
/** Show times in UTC instead of the browser's time zone. */
export function setUtc(on: boolean): void {
  utc = on;
}
export const isUtc = () => utc;

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}
function parts(ms: number): Parts {
  const x = new Date(ms);
  return utc
    ? {
        y: x.getUTCFullYear(),
        mo: x.getUTCMonth(),
        d: x.getUTCDate(),
        h: x.getUTCHours(),
        mi: x.getUTCMinutes(),
        s: x.getUTCSeconds(),
        ms: x.getUTCMilliseconds(),
      }
    : {
        y: x.getFullYear(),
        mo: x.getMonth(),
        d: x.getDate(),
        h: x.getHours(),
        mi: x.getMinutes(),
        s: x.getSeconds(),
        ms: x.getMilliseconds(),
      };
}

/** "17:31:02.123", prefixed with "Nov 25 " when not today and "Nov 25 2025 " when not this year. */
export function formatTime(ms: number, now = Date.now()): string {
  const d = parts(ms);
  const t = `${pad(d.h)}:${pad(d.mi)}:${pad(d.s)}.${pad(d.ms, 3)}`;
  const today = parts(now);
  if (d.y !== today.y) return `${MONTHS[d.mo]} ${pad(d.d)} ${d.y} ${t}`;
  return d.mo === today.mo && d.d === today.d ? t : `${MONTHS[d.mo]} ${pad(d.d)} ${t}`;
}

/** "Nov 25 17:31:02", with the year when it is not this year (an old entry, a typed range). */
export function formatRangeEnd(ms: number, now = Date.now()): string {
  const d = parts(ms);
  const year = d.y === parts(now).y ? "" : ` ${d.y}`;
  return `${MONTHS[d.mo]} ${d.d}${year} ${pad(d.h)}:${pad(d.mi)}:${pad(d.s)}${utc ? " UTC" : ""}`;
}

export function formatAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function formatDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "m"],
    [1000, "s"],
  ];
  for (const [u, name] of units) if (ms >= u && ms % u === 0) return `${ms / u}${name}`;
  for (const [u, name] of units) if (ms >= u) return `${(ms / u).toFixed(1)}${name}`;
  return `${ms}ms`;
}

export const compact = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : n.toLocaleString("en-US");

/**
 * A live tail's `dropped` event: how many entries the server could not send, and whether that is
 * a lower bound (a resume counts what it skipped only back to a window of entries). Null if it is
 * not one.
 */
export function parseDropped(data: string): { dropped: number; atLeast: boolean } | null {
  try {
    const value = JSON.parse(data) as { dropped?: unknown; atLeast?: unknown };
    if (typeof value?.dropped !== "number" || !Number.isFinite(value.dropped)) return null;
    return { dropped: value.dropped, atLeast: value.atLeast === true };
  } catch {
    return null;
  }
}

/** "1,234 skipped", or "100,000+ skipped" when the count is a lower bound. */
export function formatSkipped(n: number, atLeast: boolean): string {
  return `${n.toLocaleString("en-US")}${atLeast ? "+" : ""} skipped`;
}

/** Value for <input type="datetime-local">, in the zone the page shows times in (local or UTC). */
export function toTimeInput(ms: number): string {
  const d = parts(ms);
  return `${d.y}-${pad(d.mo + 1)}-${pad(d.d)}T${pad(d.h)}:${pad(d.mi)}:${pad(d.s)}`;
}

/** Epoch ms of a datetime-local value, read in the zone the page shows times in. */
export function fromTimeInput(value: string): number {
  return utc ? Date.parse(`${value}Z`) : new Date(value).getTime();
}

/**
 * Plain search words and phrases from an FTS5 query, for highlighting (operators and syntax
 * dropped); a prefix term keeps its trailing `*`.
 */
export function searchTerms(q: string): string[] {
  const terms = new Set<string>();
  for (const phrase of q.matchAll(/"([^"]+)"/g)) if (phrase[1]!.trim()) terms.add(phrase[1]!.trim());
  const rest = q.replace(/"[^"]*"/g, " ");
  for (const m of rest.matchAll(/[\p{L}\p{N}_.-]+\*?/gu)) {
    const w = m[0].replace(/\*$/, "");
    if (w.length < 2 || /^(AND|OR|NOT|NEAR)$/.test(w)) continue;
    if (m.index! > 0 && rest[m.index! - 1] === "-") continue;
    terms.add(m[0]); // a trailing * (prefix) is kept: it decides how the term is highlighted
  }
  return [...terms];
}

/** Without diacritics and lower-cased, as the search's tokenizer compares words ("Zürich" = "zurich"). */
const foldChar = (ch: string) =>
  ch
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase();

/** `text` folded, with the index in `text` of each folded character (and of the end). */
function fold(text: string): { folded: string; origin: number[] } {
  let folded = "";
  const origin: number[] = [];
  let at = 0;
  for (const ch of text) {
    const f = foldChar(ch);
    for (let k = 0; k < f.length; k++) origin.push(at);
    folded += f;
    at += ch.length;
  }
  origin.push(at);
  return { folded, origin };
}

const WORD = "\\p{L}\\p{N}";

/**
 * The pattern of one search term as the search's tokenizer matches it: whole words (`time` is not
 * found inside `runtime` or `timeout`), a prefix with `*` (the whole word it starts), and the
 * words of a phrase or of `order-1` separated by any non-word characters.
 */
function termPattern(term: string): string | undefined {
  const prefix = term.endsWith("*");
  const words = fold(prefix ? term.slice(0, -1) : term)
    .folded.split(new RegExp(`[^${WORD}]+`, "u"))
    .filter(Boolean); // letters and digits only: nothing to escape
  if (words.length === 0) return undefined;
  return `(?<![${WORD}])${words.join(`[^${WORD}]+`)}${prefix ? `[${WORD}]*` : `(?![${WORD}])`}`;
}

/** [start, end) of each match of `terms` in `text`, in order, without overlaps. */
export function highlightSpans(text: string, terms: string[]): Array<[number, number]> {
  const patterns = terms
    .map(termPattern)
    .filter((p): p is string => p !== undefined)
    .sort((a, b) => b.length - a.length);
  if (patterns.length === 0) return [];
  const re = new RegExp(patterns.join("|"), "gu");
  const { folded, origin } = fold(text);
  const spans: Array<[number, number]> = [];
  for (const m of folded.matchAll(re)) {
    const start = origin[m.index!]!;
    const end = origin[m.index! + m[0].length]!;
    if (end > start) spans.push([start, end]);
  }
  return spans;
}

/** Appends text to `el`, wrapping matches of `terms` in <mark>, matched as the search matches them. */
export function appendHighlighted(el: HTMLElement, text: string, terms: string[]): void {
  let last = 0;
  for (const [start, end] of highlightSpans(text, terms)) {
    if (start > last) el.append(text.slice(last, start));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(start, end);
    el.append(mark);
    last = end;
  }
  if (last < text.length) el.append(text.slice(last));
}

/** Pretty JSON as DOM with token classes (keys, strings, numbers, literals). */
export function renderJson(value: unknown): HTMLElement {
  const pre = document.createElement("pre");
  pre.className = "json";
  const json = JSON.stringify(value, null, 2) ?? "null";
  const re = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
  let last = 0;
  for (const m of json.matchAll(re)) {
    if (m.index! > last) pre.append(json.slice(last, m.index));
    const span = document.createElement("span");
    if (m[1]) {
      span.className = m[2] ? "j-key" : "j-str";
      span.textContent = m[1];
      pre.append(span);
      if (m[2]) pre.append(m[2]);
    } else {
      span.className = m[3] ? "j-lit" : "j-num";
      span.textContent = m[0];
      pre.append(span);
    }
    last = m.index! + m[0].length;
  }
  if (last < json.length) pre.append(json.slice(last));
  return pre;
}

export const entryMs = (e: LogEntry) => entryTime(e);
