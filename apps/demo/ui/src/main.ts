// batchlog explorer: search, filters, volume histogram, results with infinite scroll, live tail.
import "./style.css";
import {
  allowTokenPrompt,
  entryTime,
  type FieldSummaries,
  getJson,
  HttpError,
  LEVELS,
  type Level,
  type LogEntry,
  type SearchPage,
  type Stats,
  setToken,
  withToken,
} from "./api";
import { installAuthDialog } from "./auth-dialog";
import { ContextDialog, type ContextWindow } from "./context-dialog";
import { detailFor, rowFor } from "./entry-rows";
import {
  compact,
  formatDuration,
  formatRangeEnd,
  formatTime,
  fromTimeInput,
  searchTerms,
  setUtc,
  toTimeInput,
} from "./format";
import { Histogram, toHistogramData } from "./histogram";
import { LiveTail } from "./live-tail";
import {
  DEFAULT_PRESET,
  filterParams,
  PRESETS,
  type Preset,
  parseFieldFilter,
  parseQuery,
  pickBucket,
  type Query,
  queryToSearch,
  resolveRange,
  withFieldFilter,
} from "./query";
import { startReadinessBadge } from "./readiness-badge";
import { initTheme } from "./theme";

const FIRST_PAGE = 100;
/** The most entries GET /api/logs/export gives in one download. */
const MAX_EXPORT = 1_000_000;
const NEXT_PAGE = 200;
/** Rows kept in the page; live tail drops the oldest beyond this. */
export const MAX_ROWS = 2000;
const READY_POLL_MS = 5000;
const LIVE_CHART_REFRESH_MS = 10_000;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const el = {
  form: $<HTMLFormElement>("search-form"),
  q: $<HTMLInputElement>("q"),
  levelButtons: [...document.querySelectorAll<HTMLButtonElement>(".lvl-toggle")],
  sourceChips: $("source-chips"),
  sourceInput: $<HTMLInputElement>("source-input"),
  sourceList: $<HTMLDataListElement>("source-list"),
  fieldChips: $("field-chips"),
  fieldInput: $<HTMLInputElement>("field-input"),
  fieldList: $<HTMLDataListElement>("field-list"),
  presetButtons: [...document.querySelectorAll<HTMLButtonElement>("[data-preset]")],
  customToggle: $<HTMLButtonElement>("custom-toggle"),
  customForm: $<HTMLFormElement>("custom-range"),
  fromInput: $<HTMLInputElement>("from-input"),
  toInput: $<HTMLInputElement>("to-input"),
  customZone: $("custom-zone"),
  rangeLabel: $("range-label"),
  legend: $("legend"),
  histogram: $("histogram"),
  summary: $("summary"),
  tailInfo: $("tail-info"),
  download: $<HTMLAnchorElement>("download"),
  pause: $<HTMLButtonElement>("pause"),
  live: $<HTMLButtonElement>("live"),
  error: $("error"),
  table: $<HTMLTableElement>("results"),
  rows: $<HTMLTableSectionElement>("rows"),
  empty: $("empty"),
  more: $("more"),
  loadMore: $<HTMLButtonElement>("load-more"),
  loading: $("loading"),
  tz: $<HTMLButtonElement>("tz"),
  tzLabel: $("tz-label"),
  status: $<HTMLButtonElement>("status"),
  theme: $<HTMLButtonElement>("theme"),
  auth: $<HTMLDialogElement>("auth"),
  authForm: $<HTMLFormElement>("auth-form"),
  authReason: $("auth-reason"),
  authCancel: $<HTMLButtonElement>("auth-cancel"),
  tokenInput: $<HTMLInputElement>("token-input"),
  context: $<HTMLDialogElement>("context"),
};

// ---------------------------------------------------------------- state

let query: Query = parseQuery(location.search);
let rows: LogEntry[] = [];
const shown = new Set<number>();
let nextCursor: string | null = null;
let loadingMore = false;
let generation = 0;
/** The q the last search refused (400): the tail, which validates q the same way, stays closed for it. */
let refusedQuery: string | null = null;
let controller: AbortController | null = null;
let trimmed = false;
const knownSources = new Set<string>();
let terms: string[] = [];
/** Entries matching the query in the whole range (from /api/stats), when known. */
let rangeTotal: number | null = null;
/** The generation whose first page is on screen. */
let pageGeneration = 0;

// ---------------------------------------------------------------- controls <-> query

const activeLevels = (): Level[] => (query.levels.length ? query.levels : [...LEVELS]);

function chip(label: string, onRemove: () => void): HTMLElement {
  const c = document.createElement("span");
  c.className = "chip";
  // a long source or value is cut by the stylesheet; the whole of it is in the tooltip
  const text = document.createElement("span");
  text.className = "chip-label";
  text.textContent = label;
  text.title = label;
  c.append(text);
  const x = document.createElement("button");
  x.type = "button";
  x.textContent = "×";
  x.setAttribute("aria-label", `Remove ${label}`);
  x.addEventListener("click", onRemove);
  c.append(x);
  return c;
}

function syncControls() {
  if (document.activeElement !== el.q || el.q.value.trim() !== query.q.trim()) el.q.value = query.q;
  const levels = activeLevels();
  for (const b of el.levelButtons)
    b.setAttribute("aria-pressed", String(levels.includes(b.dataset.level as Level)));
  el.sourceChips.replaceChildren(
    ...query.sources.map((s) =>
      chip(s, () => update({ sources: query.sources.filter((x) => x !== s) }, { focus: el.sourceInput })),
    ),
  );
  el.fieldChips.replaceChildren(
    ...query.fields.map(([k, v], i) =>
      chip(`${k}=${v}`, () =>
        update({ fields: query.fields.filter((_, j) => j !== i) }, { focus: el.fieldInput }),
      ),
    ),
  );
  const preset = "preset" in query.range ? query.range.preset : null;
  for (const b of el.presetButtons) b.setAttribute("aria-pressed", String(b.dataset.preset === preset));
  el.customToggle.setAttribute("aria-pressed", String(preset === null));
  const { from, to } = resolveRange(query.range);
  if (!el.customForm.hidden && document.activeElement?.closest("#custom-range") == null) {
    el.fromInput.value = toTimeInput(from);
    el.toInput.value = toTimeInput(to);
  }
  el.rangeLabel.textContent =
    preset !== null
      ? `Last ${preset}`
      : `${formatRangeEnd(from)} → ${formatRangeEnd(to)} (${formatDuration(to - from)})`;
  document.title = `${query.q ? `${query.q} · ` : ""}${el.rangeLabel.textContent} · batchlog`;
  el.live.setAttribute("aria-pressed", String(query.live));
  // a streaming count changes many times a second: not something to read out
  el.summary.setAttribute("aria-live", query.live ? "off" : "polite");
  el.pause.hidden = !query.live;
  terms = searchTerms(query.q);
}

function update(patch: Partial<Query>, opts: { focus?: HTMLElement } = {}) {
  // text typed in the search box goes along: syncing the controls would otherwise erase it
  query = { ...query, q: el.q.value.trim(), ...patch };
  run({ push: true });
  opts.focus?.focus();
}

el.form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  update({ q: el.q.value.trim() });
});

for (const b of el.levelButtons) {
  b.title = "Click to toggle · Shift/Alt-click to show only this level";
  b.addEventListener("click", (ev) => {
    const level = b.dataset.level as Level;
    let next: Level[];
    if (ev.shiftKey || ev.altKey) next = [level];
    else {
      const cur = activeLevels();
      next = cur.includes(level) ? cur.filter((l) => l !== level) : [...cur, level];
      if (next.length === 0) next = [...LEVELS];
    }
    next = LEVELS.filter((l) => next.includes(l));
    update({ levels: next.length === LEVELS.length ? [] : next });
  });
}

function addSource(value: string) {
  const s = value.trim();
  if (!s) return;
  el.sourceInput.value = "";
  if (!query.sources.includes(s)) update({ sources: [...query.sources, s] }, { focus: el.sourceInput });
}
el.sourceInput.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter") {
    ev.preventDefault();
    addSource(el.sourceInput.value);
  } else if (ev.key === "Backspace" && !el.sourceInput.value && query.sources.length) {
    update({ sources: query.sources.slice(0, -1) }, { focus: el.sourceInput });
  }
});
// picking a datalist suggestion fires "input" with inputType undefined / insertReplacementText
el.sourceInput.addEventListener("input", (ev) => {
  const v = el.sourceInput.value;
  if (
    (ev as InputEvent).inputType === "insertReplacementText" ||
    (!(ev as InputEvent).inputType && knownSources.has(v))
  )
    addSource(v);
});

function addField() {
  const parsed = parseFieldFilter(el.fieldInput.value);
  if (!parsed) {
    el.fieldInput.setCustomValidity("Use key=value, or key!=value to leave those out");
    el.fieldInput.reportValidity();
    return;
  }
  el.fieldInput.setCustomValidity("");
  el.fieldInput.value = "";
  update({ fields: withFieldFilter(query.fields, parsed) }, { focus: el.fieldInput });
  // the input keeps the focus (no focus event): suggest for the narrowed query now
  void loadFieldSuggestions();
}
// picking a suggestion adds it, as for sources
el.fieldInput.addEventListener("input", (ev) => {
  if ((ev as InputEvent).inputType === "insertReplacementText" || !(ev as InputEvent).inputType) {
    if (fieldSuggestions.has(el.fieldInput.value)) addField();
  }
});
el.fieldInput.addEventListener("focus", () => void loadFieldSuggestions());
el.fieldInput.addEventListener("keydown", (ev) => {
  el.fieldInput.setCustomValidity("");
  if (ev.key === "Enter") {
    ev.preventDefault();
    addField();
  } else if (ev.key === "Backspace" && !el.fieldInput.value && query.fields.length) {
    update({ fields: query.fields.slice(0, -1) }, { focus: el.fieldInput });
  }
});

/** Shows or hides the custom range form, telling assistive technology through the toggle. */
function setCustomFormOpen(open: boolean) {
  el.customForm.hidden = !open;
  el.customToggle.setAttribute("aria-expanded", String(open));
}

for (const b of el.presetButtons) {
  b.addEventListener("click", () => {
    setCustomFormOpen(false);
    update({ range: { preset: b.dataset.preset as Preset } });
  });
}
el.customToggle.addEventListener("click", () => {
  const open = el.customForm.hidden;
  setCustomFormOpen(open);
  if (open) {
    const { from, to } = resolveRange(query.range);
    el.fromInput.value = toTimeInput(from);
    el.toInput.value = toTimeInput(to);
    el.fromInput.focus();
  }
});
el.customForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const from = fromTimeInput(el.fromInput.value);
  const to = fromTimeInput(el.toInput.value);
  if (!(from < to)) {
    el.toInput.setCustomValidity("'to' must be after 'from'");
    el.toInput.reportValidity();
    return;
  }
  el.toInput.setCustomValidity("");
  update({ range: { from, to }, live: false });
});

// ---------------------------------------------------------------- histogram

const histogram = new Histogram(el.histogram, (from, to) => {
  update({ range: { from, to }, live: false });
});

function statsTotal(stats: Stats): number {
  const t = stats.totals ?? {};
  return Number(stats.total ?? t.all ?? LEVELS.reduce((s, l) => s + Number(t[l] ?? 0), 0));
}

function renderLegend(stats: Stats) {
  const t = stats.totals ?? {};
  const all = statsTotal(stats);
  el.legend.replaceChildren();
  for (const l of [...LEVELS].reverse()) {
    const n = Number(t[l] ?? 0);
    const item = document.createElement("span");
    item.className = `legend-item${n ? "" : " zero"}`;
    item.dataset.level = l;
    item.innerHTML = `<i class="sw lvl-${l}"></i>${l} <b>${compact(n)}</b>`;
    el.legend.append(item);
  }
  el.histogram.setAttribute(
    "aria-label",
    `Log volume, ${el.rangeLabel.textContent}: ${all.toLocaleString("en-US")} entries (${[...LEVELS]
      .reverse()
      .map((l) => `${Number(t[l] ?? 0).toLocaleString("en-US")} ${l}`)
      .join(", ")}). Drag across the chart to zoom.`,
  );
  const total = document.createElement("span");
  total.className = "legend-item total";
  total.dataset.level = "all";
  total.innerHTML = `total <b>${compact(all)}</b>`;
  el.legend.append(total);
}

/** Counts over exactly the range the results cover (the server aligns the buckets itself). */
async function loadStats(signal: AbortSignal, { from, to } = resolveRange(query.range)) {
  const bucket = pickBucket(to - from);
  const p = filterParams(query);
  p.set("from", String(from));
  p.set("to", String(to));
  p.set("bucket", `${bucket}ms`);
  const stats = await getJson<Stats>(`/api/stats?${p}`, signal);
  histogram.render(toHistogramData(stats));
  renderLegend(stats);
  rangeTotal = statsTotal(stats);
  if (pageGeneration === generation) updateSummary();
}

// ---------------------------------------------------------------- results

function toggleRow(tr: HTMLTableRowElement) {
  const open = tr.getAttribute("aria-expanded") === "true";
  if (open) {
    const next = tr.nextElementSibling;
    if (next?.classList.contains("detail")) next.remove();
    tr.setAttribute("aria-expanded", "false");
  } else {
    const entry = rows.find((r) => String(r.id) === tr.dataset.id);
    if (!entry) return;
    tr.after(
      detailFor(entry, {
        terms,
        onSource: query.sources.includes(entry.source) ? undefined : addSource,
        onField: (k, v) => update({ fields: withFieldFilter(query.fields, [k, v]) }),
        onContext: (e) => contextDialog.show(e, tr),
      }),
    );
    tr.setAttribute("aria-expanded", "true");
  }
}

function focusRow(tr: Element | null | undefined) {
  if (!(tr instanceof HTMLTableRowElement)) return;
  for (const r of el.rows.querySelectorAll<HTMLTableRowElement>("tr.row[tabindex='0']")) r.tabIndex = -1;
  tr.tabIndex = 0;
  tr.focus();
}

// ---------------------------------------------------------------- an entry's context, linkable

/** The page URL's parameter naming the entry whose context is open: a link to one entry. */
const ENTRY_PARAM = "entry";

/** This page's URL with `entry` set to `id`, or removed (null). */
function urlWithEntry(id: number | null): string {
  const p = new URLSearchParams(location.search);
  if (id === null) p.delete(ENTRY_PARAM);
  else p.set(ENTRY_PARAM, String(id));
  return `${location.pathname}${p.size ? `?${p}` : ""}${location.hash}`;
}

const contextDialog = new ContextDialog(el.context, {
  returnFocus: focusRow,
  linkFor: (entry) => urlWithEntry(entry.id),
  // replaced, not pushed: the dialog is a view of the page, not a page of its own in the history
  onShown: (entry) => history.replaceState(null, "", urlWithEntry(entry.id)),
  onClosed: () => history.replaceState(null, "", urlWithEntry(null)),
});

/** The `entry` a link names, if any: an id. */
function linkedEntry(): number | null {
  const value = new URLSearchParams(location.search).get(ENTRY_PARAM);
  return value !== null && /^\d{1,15}$/.test(value) && Number(value) > 0 ? Number(value) : null;
}

/** Opens the context of entry `id` (a link to it); says so in the page when it is gone. */
async function openLinkedEntry(id: number) {
  try {
    const win = await getJson<ContextWindow>(`/api/logs/${id}/context?before=0&after=0`);
    contextDialog.show(win.entry);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) {
      showError(new Error(`Entry #${id} no longer exists (deleted by retention?).`));
    } else showError(err);
  }
}

function siblingRow(tr: Element, dir: 1 | -1): Element | null {
  let n: Element | null = dir === 1 ? tr.nextElementSibling : tr.previousElementSibling;
  while (n && !n.classList.contains("row")) n = dir === 1 ? n.nextElementSibling : n.previousElementSibling;
  return n;
}

el.rows.addEventListener("click", (ev) => {
  const target = ev.target as HTMLElement;
  if (target.closest("button, a, .detail") || getSelection()?.toString()) return;
  const tr = target.closest("tr.row");
  if (tr instanceof HTMLTableRowElement) {
    focusRow(tr);
    toggleRow(tr);
  }
});
el.rows.addEventListener("keydown", (ev) => {
  const tr = (ev.target as HTMLElement).closest("tr.row");
  if (!(tr instanceof HTMLTableRowElement) || ev.target !== tr) return;
  if (ev.key === "Enter" || ev.key === " ") {
    ev.preventDefault();
    toggleRow(tr);
  } else if (ev.key === "ArrowDown" || ev.key === "j") {
    ev.preventDefault();
    focusRow(siblingRow(tr, 1));
  } else if (ev.key === "ArrowUp" || ev.key === "k") {
    ev.preventDefault();
    const prev = siblingRow(tr, -1);
    if (prev) focusRow(prev);
    else el.q.focus();
  } else if (ev.key === "Home") {
    ev.preventDefault();
    focusRow(el.rows.querySelector("tr.row"));
  } else if (ev.key === "End") {
    ev.preventDefault();
    const all = el.rows.querySelectorAll("tr.row");
    focusRow(all[all.length - 1]);
  }
});

function ensureRovingFocus() {
  if (!el.rows.querySelector("tr.row[tabindex='0']")) {
    const first = el.rows.querySelector<HTMLTableRowElement>("tr.row");
    if (first) first.tabIndex = 0;
  }
}

function appendEntries(entries: LogEntry[]) {
  const frag = document.createDocumentFragment();
  for (const e of entries) {
    if (shown.has(e.id)) continue;
    shown.add(e.id);
    rows.push(e);
    frag.append(rowFor(e, terms));
    noteSource(e.source);
  }
  el.rows.append(frag);
  ensureRovingFocus();
}

/** Newest first by timestamp, then by id: the order search answers in. */
const newerFirst = (a: LogEntry, b: LogEntry) => entryTime(b) - entryTime(a) || b.id - a.id;

/** Adds tailed entries where their time puts them: most go on top, a late one a little lower. */
function insertEntries(entries: LogEntry[]) {
  // once each: the stream and a catch-up may both bring an entry within one flush
  const batch = new Set<number>();
  const fresh = entries
    .filter((e) => !shown.has(e.id) && !batch.has(e.id) && batch.add(e.id))
    .sort(newerFirst);
  if (!fresh.length) return;
  let i = 0;
  for (const e of fresh) {
    while (i < rows.length && newerFirst(rows[i]!, e) < 0) i++;
    // older than everything loaded while older pages exist: paging will bring it in order
    if (i === rows.length && nextCursor) break;
    shown.add(e.id);
    noteSource(e.source);
    const tr = rowFor(e, terms);
    tr.classList.add("fresh");
    const anchor = i < rows.length ? el.rows.querySelector(`tr.row[data-id="${rows[i]!.id}"]`) : null;
    if (anchor) anchor.before(tr);
    else el.rows.append(tr);
    rows.splice(i, 0, e);
    i++;
  }
  trimRows();
  ensureRovingFocus();
  updateSummary();
}

function trimRows() {
  if (rows.length <= MAX_ROWS) return;
  const dropped = rows.splice(MAX_ROWS);
  for (const e of dropped) {
    shown.delete(e.id);
    const tr = el.rows.querySelector(`tr.row[data-id="${e.id}"]`);
    if (tr?.nextElementSibling?.classList.contains("detail")) tr.nextElementSibling.remove();
    tr?.remove();
  }
  trimmed = true;
  nextCursor = null; // the cursor pointed past rows we dropped: paging on would leave a hole
  updateMore();
}

function noteSource(s: string) {
  if (knownSources.has(s)) return;
  knownSources.add(s);
  const opt = document.createElement("option");
  opt.value = s;
  el.sourceList.append(opt);
}

function updateSummary() {
  el.empty.hidden = rows.length > 0;
  // the header stays: its time column switches the zone, the custom range's too
  el.table.hidden = false;
  if (!rows.length) {
    updateDownload();
    el.summary.textContent = "No entries";
    el.empty.textContent = query.live
      ? "Waiting for entries… new ones appear here as they are committed."
      : "No entries match. Widen the time range, enable more levels or simplify the search.";
    return;
  }
  const more = nextCursor ? " · scroll for older" : trimmed ? ` · oldest dropped (keeping ${MAX_ROWS})` : "";
  const n = rows.length.toLocaleString("en-US");
  const of =
    rangeTotal !== null && rangeTotal > rows.length && !query.live
      ? ` of ${rangeTotal.toLocaleString("en-US")}`
      : "";
  el.summary.textContent = `${n}${of} ${rows.length === 1 && !of ? "entry" : "entries"}${more}`;
  updateDownload();
}

/**
 * The download link: what the results show, over the same range, every match up to the range's
 * total (all of it when the histogram has not counted yet, up to the export's maximum); while
 * live, the preset's window as of the download. A link, so the browser streams the file to disk;
 * it carries the token as the live tail's URL does.
 */
// Built again when clicked: the token may have changed since (a new one entered after a 401), and
// a preset's window should end at the click, not at the last search.
el.download.addEventListener("click", () => updateDownload());

function updateDownload() {
  el.download.hidden = rows.length === 0;
  if (el.download.hidden) return;
  const p = filterParams(query);
  if (query.live && "preset" in query.range) {
    // streaming: the last hour (say) as of the download, the entries tailed since included
    p.set("from", query.range.preset);
    p.set("limit", String(MAX_EXPORT));
  } else {
    const r = lastRangeForPaging ?? resolveRange(query.range);
    p.set("from", String(r.from));
    p.set("to", String(r.to));
    p.set("limit", String(Math.min(MAX_EXPORT, Math.max(1, rangeTotal ?? MAX_EXPORT))));
  }
  el.download.href = withToken(`/api/logs/export?${p}`);
}

function updateMore() {
  el.loadMore.hidden = !nextCursor || loadingMore;
  el.loading.hidden = !loadingMore;
}

function showError(err: unknown) {
  if ((err as Error)?.name === "AbortError") return;
  let text = err instanceof Error ? err.message : String(err);
  if (err instanceof HttpError && err.status === 400) text = `Invalid query: ${text}`;
  else if (err instanceof HttpError && err.status === 401) text = "Authentication required.";
  else if (err instanceof TypeError) text = `Cannot reach the server (${text}).`;
  el.error.replaceChildren(text);
  if (err instanceof HttpError && err.status === 400 && /^q:/.test(err.message)) {
    const hint = document.createElement("div");
    hint.className = "hint";
    hint.textContent = 'Search syntax: words (all must match), "exact phrase", prefix*, OR, NOT, (grouping).';
    el.error.append(hint);
  }
  if (err instanceof HttpError && err.status === 401) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn small";
    b.textContent = "Sign in";
    b.addEventListener("click", () => {
      setToken(null);
      allowTokenPrompt();
      run({ push: false });
    });
    el.error.append(" ", b);
  }
  el.error.hidden = false;
}

let lastRangeForPaging: { from: number; to: number } | null = null;

async function loadMore() {
  if (!nextCursor || loadingMore) return;
  const gen = generation;
  loadingMore = true;
  updateMore();
  try {
    const p = filterParams(query);
    const r = lastRangeForPaging ?? resolveRange(query.range);
    p.set("from", String(r.from));
    p.set("to", String(r.to));
    p.set("limit", String(NEXT_PAGE));
    p.set("cursor", nextCursor);
    const page = await getJson<SearchPage>(`/api/logs?${p}`, controller?.signal);
    if (gen !== generation) return;
    nextCursor = page.nextCursor ?? null;
    appendEntries(page.entries);
  } catch (err) {
    if (gen === generation) showError(err);
  } finally {
    if (gen === generation) {
      loadingMore = false;
      updateMore();
      updateSummary();
    }
  }
}
el.loadMore.addEventListener("click", () => void loadMore());
new IntersectionObserver(
  (items) => {
    if (items.some((i) => i.isIntersecting)) void loadMore();
  },
  { rootMargin: "600px 0px" },
).observe(el.more);

// ---------------------------------------------------------------- run a query

function run(opts: { push: boolean }) {
  const url = `${location.pathname}${queryToSearch(query)}${location.hash}`;
  if (opts.push && url !== `${location.pathname}${location.search}${location.hash}`)
    history.pushState(null, "", url);
  else if (!opts.push) history.replaceState(null, "", url);
  syncControls();
  controller?.abort();
  controller = new AbortController();
  const signal = controller.signal;
  const gen = ++generation;
  el.error.hidden = true;
  el.table.setAttribute("aria-busy", "true");
  document.body.classList.add("busy");

  const r = resolveRange(query.range);
  lastRangeForPaging = r;
  rangeTotal = null;
  // one "now" for the results and the histogram, so that both count the same entries
  const p = filterParams(query);
  p.set("from", String(r.from));
  p.set("to", String(r.to));
  p.set("limit", String(FIRST_PAGE));
  const page = getJson<SearchPage>(`/api/logs?${p}`, signal);
  const stats = loadStats(signal, r);
  page
    .then((res) => {
      if (gen !== generation) return;
      rows = [];
      shown.clear();
      trimmed = false;
      el.rows.replaceChildren();
      nextCursor = res.nextCursor ?? null;
      loadingMore = false;
      appendEntries(res.entries);
      pageGeneration = gen;
      // Live: what the new stream delivered before this page arrived went into the rows it just
      // replaced, and a catch-up the stream asked for on opening could not run yet: fetch what
      // committed since the page was read.
      if (query.live) void catchUp();
      updateMore();
      updateSummary();
      el.table.dataset.ready = String(gen);
    })
    .catch((err) => {
      if (gen !== generation || (err as Error)?.name === "AbortError") return;
      // what is on screen belonged to the previous query
      rows = [];
      shown.clear();
      el.rows.replaceChildren();
      nextCursor = null;
      el.table.hidden = true;
      el.summary.textContent = "";
      updateMore();
      updateDownload();
      showError(err);
      // the tail would refuse the same q (400): keep it closed until the query changes
      if (err instanceof HttpError && err.status === 400) {
        refusedQuery = query.q;
        tail.sync();
      }
    })
    .finally(() => {
      if (gen !== generation) return;
      el.table.removeAttribute("aria-busy");
      document.body.classList.remove("busy");
    });
  stats.catch((err) => {
    if (gen !== generation || (err as Error)?.name === "AbortError") return;
    histogram.clear(
      err instanceof HttpError && err.status === 401 ? "sign in to see volume" : "no volume data",
    );
    el.legend.replaceChildren();
  });
  tail.sync();
}

window.addEventListener("popstate", () => {
  query = parseQuery(location.search);
  const linked = linkedEntry();
  setCustomFormOpen(!("preset" in query.range));
  run({ push: false });
  if (linked !== null) void openLinkedEntry(linked);
  else if (contextDialog.open) el.context.close();
});

// ---------------------------------------------------------------- live tail

/** Entries newer than the newest shown, for the moments the live stream was not connected. */
async function catchUp() {
  const gen = generation;
  if (pageGeneration !== gen) {
    // this query's search failed (the server was away, say) and is not running: now it can answer
    if (!el.table.hasAttribute("aria-busy")) run({ push: false });
    return;
  }
  const newest = rows[0];
  const p = filterParams(query);
  // with nothing shown, everything since the range's start
  p.set("from", String(newest ? entryTime(newest) : resolveRange(query.range).from));
  p.set("limit", "1000");
  try {
    const page = await getJson<SearchPage>(`/api/logs?${p}`);
    if (gen === generation && query.live) tail.deliver(page.entries);
  } catch {
    // the stream goes on; a later reconnect tries again
  }
}

/** The tail route takes the page's filters, the text query included: it matches as search does. */
function tailUrl() {
  const p = filterParams(query);
  return withToken(`/api/logs/tail${p.size ? `?${p}` : ""}`);
}

const tail = new LiveTail({
  liveButton: el.live,
  pauseButton: el.pause,
  info: el.tailInfo,
  maxBuffered: MAX_ROWS,
  wanted: () => query.live && query.q !== refusedQuery,
  url: tailUrl,
  accept: () => true,
  onEntries: insertEntries,
  onOpen: () => void catchUp(),
  onTick: () => {
    if ("preset" in query.range)
      loadStats(controller?.signal ?? new AbortController().signal).catch(() => {});
  },
  tickMs: LIVE_CHART_REFRESH_MS,
});

el.live.addEventListener("click", () => {
  const live = !query.live;
  // a live view follows "now": an absolute window would hide what streams in
  update(live && !("preset" in query.range) ? { live, range: { preset: DEFAULT_PRESET } } : { live });
});

// ---------------------------------------------------------------- field suggestions

/** The `key=value` suggestions on offer, and the query generation they were made for. */
const fieldSuggestions = new Set<string>();
let fieldSuggestionsFor = -1;

/** Field filters the current results' newest matches would take (GET /api/fields), once per query. */
async function loadFieldSuggestions() {
  if (fieldSuggestionsFor === generation) return;
  const gen = generation;
  fieldSuggestionsFor = gen;
  const p = filterParams(query);
  const r = lastRangeForPaging ?? resolveRange(query.range);
  p.set("from", String(r.from));
  p.set("to", String(r.to));
  try {
    const res = await getJson<FieldSummaries>(`/api/fields?${p}`, controller?.signal);
    if (gen !== generation) return;
    const options: HTMLOptionElement[] = [];
    fieldSuggestions.clear();
    for (const field of res.fields) {
      // already a filter: suggesting another value of it would replace that one
      if (query.fields.some(([k]) => k === field.key)) continue;
      for (const { value, count } of field.values) {
        const option = document.createElement("option");
        option.value = `${field.key}=${value}`;
        option.label = `${count} of ${res.sampled}${res.partial ? " newest" : ""}`;
        fieldSuggestions.add(option.value);
        options.push(option);
      }
    }
    el.fieldList.replaceChildren(...options);
  } catch {
    // suggestions are optional; the next focus tries again
    if (gen === generation) fieldSuggestionsFor = -1;
  }
}

// ---------------------------------------------------------------- source suggestions

async function loadSourceSuggestions() {
  try {
    const res = await getJson<{ entries: LogEntry[] }>("/api/logs/recent?limit=500");
    for (const e of res.entries ?? []) noteSource(e.source);
  } catch {
    // suggestions are optional
  }
}

// ---------------------------------------------------------------- keyboard

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || el.auth.open || contextDialog.open) return;
  const t = ev.target as HTMLElement;
  const typing = t.closest("input, textarea, select, [contenteditable='true']");
  if (ev.key === "Escape" && typing) {
    // leave the field as it is: Chrome empties a type=search box on Escape, and the next filter
    // click would then run the query without its text, with nothing said
    ev.preventDefault();
    (t as HTMLInputElement).blur();
    return;
  }
  if (typing) return;
  if (ev.key === "/") {
    ev.preventDefault();
    el.q.focus();
    el.q.select();
  } else if (ev.key === "l") {
    el.live.click();
  } else if (ev.key === "p") {
    tail.togglePause();
  } else if ((ev.key === "ArrowDown" || ev.key === "j") && !t.closest("tr.row, button")) {
    ev.preventDefault();
    focusRow(el.rows.querySelector("tr.row[tabindex='0']") ?? el.rows.querySelector("tr.row"));
  }
});
el.q.addEventListener("keydown", (ev) => {
  if (ev.key === "ArrowDown") {
    ev.preventDefault();
    focusRow(el.rows.querySelector("tr.row"));
  }
});

// ---------------------------------------------------------------- time zone

function applyTimeZone(utc: boolean) {
  setUtc(utc);
  el.tzLabel.textContent = utc ? "UTC" : "local";
  el.customZone.textContent = utc ? "UTC" : "local time";
  for (const t of el.rows.querySelectorAll("time")) t.textContent = formatTime(Date.parse(t.dateTime));
  syncControls();
  histogram.restyle();
}
el.tz.addEventListener("click", () => {
  const utc = el.tzLabel.textContent !== "UTC";
  try {
    localStorage.setItem("batchlog.utc", utc ? "1" : "0");
  } catch {
    // not persisted
  }
  applyTimeZone(utc);
});

// ---------------------------------------------------------------- start

installAuthDialog(el.auth);
applyTimeZone(localStorage.getItem("batchlog.utc") === "1");
initTheme(el.theme, () => histogram.restyle());
setCustomFormOpen(!("preset" in query.range));
el.presetButtons.forEach((b) => {
  if (!(b.dataset.preset! in PRESETS)) b.remove();
});
const linked = linkedEntry();
run({ push: false });
if (linked !== null) void openLinkedEntry(linked);
startReadinessBadge(el.status, $("status-live"), READY_POLL_MS);
void loadSourceSuggestions();
setInterval(() => {
  // keep relative time labels fresh
  if ("preset" in query.range) syncControls();
}, 30_000);
