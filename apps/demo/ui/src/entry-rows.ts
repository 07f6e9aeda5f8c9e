// Rendering of result rows and their expanded detail.
import { entryTime, type LogEntry } from "./api";
import { appendHighlighted, formatTime, renderJson } from "./format";

/** A result row: time, level badge, source, first line of the message and a hint of its fields. */
export function rowFor(entry: LogEntry, terms: string[]): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.className = `row lvl-row-${entry.level}`;
  tr.tabIndex = -1;
  tr.dataset.id = String(entry.id);
  tr.dataset.level = entry.level;
  tr.setAttribute("aria-expanded", "false");
  const ms = entryTime(entry);
  const time = document.createElement("td");
  time.className = "c-time";
  const t = document.createElement("time");
  t.dateTime = new Date(ms).toISOString();
  t.title = t.dateTime;
  t.textContent = formatTime(ms);
  time.append(t);
  const level = document.createElement("td");
  level.className = "c-level";
  level.innerHTML = `<span class="lvl lvl-${entry.level}">${entry.level}</span>`;
  const source = document.createElement("td");
  source.className = "c-source";
  source.textContent = entry.source;
  source.title = entry.source;
  const msg = document.createElement("td");
  msg.className = "c-msg";
  const firstLine = entry.message.split("\n", 1)[0] ?? "";
  const text = document.createElement("span");
  text.className = "msg";
  appendHighlighted(text, firstLine.length > 500 ? `${firstLine.slice(0, 500)}…` : firstLine, terms);
  msg.append(text);
  if (entry.fields && Object.keys(entry.fields).length) {
    const hint = document.createElement("span");
    hint.className = "fields-hint";
    hint.textContent = Object.entries(entry.fields)
      .slice(0, 4)
      .map(([k, v]) => `${k}=${typeof v === "object" ? "{…}" : String(v)}`)
      .join(" ");
    msg.append(hint);
  }
  tr.append(time, level, source, msg);
  return tr;
}

export interface DetailActions {
  terms: string[];
  /** Offer "source = X" unless the query already filters on it. */
  onSource?: (source: string) => void;
  onField: (key: string, value: string) => void;
  /** Offer "context": the entries just before and after this one. */
  onContext?: (entry: LogEntry) => void;
}

/** The expanded view of a row: id, exact time, full message and pretty-printed fields. */
export function detailFor(entry: LogEntry, actions: DetailActions): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.className = "detail";
  const td = document.createElement("td");
  td.colSpan = 4;
  const meta = document.createElement("div");
  meta.className = "detail-meta";
  const iso = new Date(entryTime(entry)).toISOString();
  meta.innerHTML = `<span>id <b></b></span><span>time <b></b></span><span>source <b></b></span>`;
  const bs = meta.querySelectorAll("b");
  bs[0]!.textContent = String(entry.id);
  bs[1]!.textContent = iso;
  bs[2]!.textContent = entry.source;
  const buttons = document.createElement("span");
  buttons.className = "detail-actions";
  const action = (label: string, fn: () => void, title?: string) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn small";
    b.textContent = label;
    b.title = title ?? label;
    b.addEventListener("click", fn);
    buttons.append(b);
  };
  const { onSource, onField, onContext, terms } = actions;
  if (onSource) action(`source = ${entry.source}`, () => onSource(entry.source));
  if (onContext) action("context", () => onContext(entry), "Show the entries just before and after this one");
  action("copy JSON", () => {
    void navigator.clipboard?.writeText(JSON.stringify(entry, null, 2));
  });
  meta.append(buttons);
  const message = document.createElement("pre");
  message.className = "detail-message";
  appendHighlighted(message, entry.message, terms);
  td.append(meta, message);
  if (entry.fields && Object.keys(entry.fields).length) {
    const fieldsHead = document.createElement("div");
    fieldsHead.className = "detail-sub";
    fieldsHead.textContent = "fields";
    const filters = document.createElement("span");
    filters.className = "detail-actions";
    const fieldButton = (label: string, title: string, key: string, value: string) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn small ghost";
      b.textContent = label.slice(0, 60);
      b.title = title;
      b.addEventListener("click", () => onField(key, value));
      filters.append(b);
    };
    for (const [k, v] of Object.entries(entry.fields)) {
      if (v === null || typeof v === "object") continue;
      const text = String(v);
      fieldButton(`+ ${k}=${text}`, "Show only entries with this value", k, text);
      fieldButton(`− ${k}`, `Leave out entries with ${k}=${text}`.slice(0, 200), `${k}!`, text);
    }
    fieldsHead.append(filters);
    td.append(fieldsHead, renderJson(entry.fields));
  }
  tr.append(td);
  return tr;
}
