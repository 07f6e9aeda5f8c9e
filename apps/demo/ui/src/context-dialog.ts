// The context dialog: the entries just before and after one entry in time, across all sources or
// only in the entry's own (GET /api/logs/:id/context).
import { allowTokenPrompt, entryTime, getJson, HttpError, type LogEntry, setToken } from "./api";
import { rowFor } from "./entry-rows";
import { formatTime } from "./format";

/** The route's answer: both lists newest first, so `[...newer, entry, ...older]` is the window. */
export interface ContextWindow {
  entry: LogEntry;
  newer: LogEntry[];
  older: LogEntry[];
  moreNewer: boolean;
  moreOlder: boolean;
}

/** What the page does around the dialog: the page URL names the entry while it is open. */
export interface ContextDialogHooks {
  /** Puts the focus back on the row the dialog was opened from, once it closes. */
  returnFocus(row: HTMLElement): void;
  /** The page's own link to `entry` with its context open (the dialog's "link"). */
  linkFor(entry: LogEntry): string;
  /** Called when the dialog opens on `entry`, and when it closes. */
  onShown?(entry: LogEntry): void;
  onClosed?(): void;
}

/** Neighbours asked for on each side at first; "newer…"/"older…" add STEP, up to what the route takes. */
const FIRST = 10;
const STEP = 20;
const MAX = 1000;

export class ContextDialog {
  private entry: LogEntry | null = null;
  private returnTo: HTMLElement | null = null;
  private before = FIRST;
  private after = FIRST;
  private controller: AbortController | null = null;
  private readonly dialog: HTMLDialogElement;
  private readonly hooks: ContextDialogHooks;
  private readonly el: {
    id: HTMLElement;
    sub: HTMLElement;
    only: HTMLInputElement;
    source: HTMLElement;
    error: HTMLElement;
    scroll: HTMLElement;
    rows: HTMLTableSectionElement;
    newer: HTMLButtonElement;
    newest: HTMLElement;
    older: HTMLButtonElement;
    oldest: HTMLElement;
    status: HTMLElement;
    link: HTMLAnchorElement;
  };

  constructor(dialog: HTMLDialogElement, hooks: ContextDialogHooks) {
    this.dialog = dialog;
    this.hooks = hooks;
    const $ = <T extends HTMLElement = HTMLElement>(id: string) => dialog.querySelector<T>(`#${id}`)!;
    this.el = {
      id: $("context-id"),
      sub: $("context-sub"),
      only: $<HTMLInputElement>("context-only"),
      source: $("context-source"),
      error: $("context-error"),
      scroll: $("context-scroll"),
      rows: $<HTMLTableSectionElement>("context-rows"),
      newer: $<HTMLButtonElement>("context-newer"),
      newest: $("context-newest"),
      older: $<HTMLButtonElement>("context-older"),
      oldest: $("context-oldest"),
      status: $("context-status"),
      link: $<HTMLAnchorElement>("context-link"),
    };
    $<HTMLButtonElement>("context-close").addEventListener("click", () => dialog.close());
    // Escape closes a modal <dialog> by itself (a "cancel" then a "close")
    dialog.addEventListener("close", () => this.closed());
    this.el.only.addEventListener("change", () => void this.load(false));
    this.el.newer.addEventListener("click", () => {
      this.after = Math.min(MAX, this.after + STEP);
      void this.load(true);
    });
    this.el.older.addEventListener("click", () => {
      this.before = Math.min(MAX, this.before + STEP);
      void this.load(true);
    });
  }

  get open(): boolean {
    return this.dialog.open;
  }

  /** Opens the dialog on `entry`; `from` (its row in the results) gets the focus back on close. */
  show(entry: LogEntry, from?: HTMLElement): void {
    this.entry = entry;
    this.returnTo = from ?? null;
    this.before = FIRST;
    this.after = FIRST;
    this.el.id.textContent = String(entry.id);
    const time = document.createElement("time");
    time.dateTime = new Date(entryTime(entry)).toISOString();
    time.title = time.dateTime;
    time.textContent = formatTime(entryTime(entry));
    this.el.sub.replaceChildren(time, ` · ${entry.source}`);
    this.el.source.textContent = entry.source;
    this.el.link.href = this.hooks.linkFor(entry);
    this.el.only.checked = true; // as Grafana does: the entry's own source first
    this.el.rows.replaceChildren();
    this.el.error.hidden = true;
    if (!this.dialog.open) this.dialog.showModal();
    this.hooks.onShown?.(entry);
    this.el.scroll.focus();
    void this.load(false);
  }

  private closed() {
    this.controller?.abort();
    this.controller = null;
    this.entry = null;
    delete this.dialog.dataset.state;
    const row = this.returnTo;
    this.returnTo = null;
    this.hooks.onClosed?.();
    if (row?.isConnected) this.hooks.returnFocus(row);
  }

  /** Fetches the window; `keepAnchor` leaves the anchor where it is on screen, else it is centred. */
  private async load(keepAnchor: boolean) {
    const entry = this.entry;
    if (!entry) return;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const p = new URLSearchParams({ before: String(this.before), after: String(this.after) });
    if (this.el.only.checked) p.set("source", entry.source);
    const offset = keepAnchor ? this.anchorOffset() : null;
    this.dialog.dataset.state = "loading";
    this.el.scroll.setAttribute("aria-busy", "true");
    this.el.status.textContent = "loading…";
    try {
      const win = await getJson<ContextWindow>(
        `/api/logs/${encodeURIComponent(entry.id)}/context?${p}`,
        controller.signal,
      );
      if (controller !== this.controller) return;
      this.render(win);
      const anchor = this.anchorRow();
      // (by hand: scrollIntoView would scroll the page behind the dialog too)
      if (anchor) {
        const centred = (this.el.scroll.clientHeight - anchor.offsetHeight) / 2;
        this.el.scroll.scrollTop += this.anchorOffset()! - (offset ?? centred);
      }
      this.dialog.dataset.state = "ready";
    } catch (err) {
      if (controller !== this.controller || (err as Error)?.name === "AbortError") return;
      this.showError(err);
      this.dialog.dataset.state = "error";
    } finally {
      if (controller === this.controller) this.el.scroll.removeAttribute("aria-busy");
    }
  }

  private render(win: ContextWindow) {
    const row = (e: LogEntry) => {
      const tr = rowFor(e, []);
      // static rows: nothing to expand or focus, the text stays selectable
      tr.removeAttribute("aria-expanded");
      tr.removeAttribute("tabindex");
      return tr;
    };
    const anchor = row(win.entry);
    anchor.classList.add("anchor");
    anchor.setAttribute("aria-current", "true");
    this.el.rows.replaceChildren(...win.newer.map(row), anchor, ...win.older.map(row));
    const focused = document.activeElement;
    this.el.error.hidden = true;
    this.el.newer.hidden = !win.moreNewer || this.after >= MAX;
    this.el.older.hidden = !win.moreOlder || this.before >= MAX;
    this.el.newest.hidden = win.moreNewer;
    this.el.oldest.hidden = win.moreOlder;
    this.keepFocus(focused);
    const where = this.el.only.checked ? ` in ${win.entry.source}` : "";
    this.el.status.textContent = `${win.newer.length} newer and ${win.older.length} older entries${where}`;
  }

  private showError(err: unknown) {
    const focused = document.activeElement;
    this.el.rows.replaceChildren();
    this.el.newer.hidden = this.el.older.hidden = true;
    this.el.newest.hidden = this.el.oldest.hidden = true;
    this.el.status.textContent = "";
    let text = err instanceof Error ? err.message : String(err);
    if (err instanceof HttpError && err.status === 404)
      text = "This entry no longer exists (deleted by retention?)";
    else if (err instanceof HttpError && err.status === 401) text = "Authentication required.";
    else if (err instanceof TypeError) text = `Cannot reach the server (${text}).`;
    this.el.error.replaceChildren(text);
    if (!(err instanceof HttpError && err.status === 404)) {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "btn small";
      const auth = err instanceof HttpError && err.status === 401;
      retry.textContent = auth ? "Sign in" : "Retry";
      retry.addEventListener("click", () => {
        if (auth) {
          // as the results' "Sign in" does: forget the refused token and ask again
          setToken(null);
          allowTokenPrompt();
        }
        void this.load(false);
      });
      this.el.error.append(" ", retry);
    }
    this.el.error.hidden = false;
    this.keepFocus(focused);
  }

  /** A button that had the focus and is now hidden or gone ("more" with nothing more, "Retry"): the focus stays in the dialog. */
  private keepFocus(focused: Element | null) {
    if (focused instanceof HTMLElement && (!focused.isConnected || focused.closest("[hidden]")))
      this.el.scroll.focus();
  }

  private anchorRow(): HTMLElement | null {
    return this.el.rows.querySelector<HTMLElement>("tr.anchor");
  }

  /** Where the anchor row sits in the scrolled area's view (px), null when there is none. */
  private anchorOffset(): number | null {
    const anchor = this.anchorRow();
    if (!anchor) return null;
    return anchor.getBoundingClientRect().top - this.el.scroll.getBoundingClientRect().top;
  }
}
