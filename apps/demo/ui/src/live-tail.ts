// Live tail over Server-Sent Events (GET /api/logs/tail): connect, reconnect, pause with a bounded buffer.
import { getJson, HttpError, type LogEntry, type Readiness } from "./api";
import { formatSkipped, parseDropped } from "./format";

const FLUSH_MS = 50;

export interface LiveTailOptions {
  liveButton: HTMLElement;
  pauseButton: HTMLButtonElement;
  info: HTMLElement;
  /** Entries held while paused; the oldest are dropped past it. */
  maxBuffered: number;
  /** Whether the query asks for live tail. */
  wanted(): boolean;
  /** The stream's URL for the current filters (token included). */
  url(): string;
  /** Filters the route cannot apply (the full-text query). */
  accept(entry: LogEntry): boolean;
  onEntries(entries: LogEntry[]): void;
  /** The stream is (re)connected; fetch what may have been committed while it was not. */
  onOpen(): void;
  /** Called every `tickMs` while streaming and not paused (to refresh the histogram). */
  onTick(): void;
  tickMs: number;
}

export class LiveTail {
  private source: EventSource | null = null;
  /** Streams refused in a row (reset when one opens): the retry waits longer after each. */
  private refusals = 0;
  private currentUrl = "";
  private paused = false;
  private buffer: LogEntry[] = [];
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  /** Entries received since the last flush: the table is updated at most every FLUSH_MS. */
  private pending: LogEntry[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private dropped = 0;
  /** Some of `dropped` was counted only up to the server's window: the figure is "at least". */
  private droppedAtLeast = false;
  private readonly handle = (ev: MessageEvent) => this.receive(ev);

  constructor(private readonly o: LiveTailOptions) {
    o.pauseButton.addEventListener("click", () => this.setPaused(!this.paused));
  }

  /** Opens, closes or re-filters the stream to match the query. */
  sync(): void {
    if (!this.o.wanted()) {
      if (this.source || this.reconnectTimer) this.close();
      this.refusals = 0;
      this.status("");
      this.buffer = [];
      if (this.paused) this.setPaused(false);
      return;
    }
    const url = this.o.url();
    // held entries matched the old filters; the new stream brings what matches now
    if (url !== this.currentUrl) this.buffer = [];
    // a retry already scheduled for this stream keeps its wait (see onerror)
    if (url !== this.currentUrl || (!this.source && !this.reconnectTimer)) this.open();
  }

  togglePause(): void {
    if (this.o.wanted()) this.setPaused(!this.paused);
  }

  private status(text: string) {
    this.o.info.textContent = text;
  }

  private receive(ev: MessageEvent) {
    let data: unknown;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    // one entry per event, or a batch
    this.deliver(
      (Array.isArray(data) ? data : [data]).filter(
        (e): e is LogEntry => !!e && typeof e === "object" && "id" in e && "level" in e && this.o.accept(e),
      ),
    );
  }

  /** Entries for the table, through the pause buffer and the batching. */
  deliver(list: LogEntry[]): void {
    if (!list.length) return;
    if (this.paused) {
      this.buffer.push(...list);
      if (this.buffer.length > this.o.maxBuffered) this.buffer = this.buffer.slice(-this.o.maxBuffered);
      this.status(`paused · ${this.buffer.length.toLocaleString("en-US")} new`);
      return;
    }
    this.pending.push(...list);
    if (this.pending.length > this.o.maxBuffered) this.pending = this.pending.slice(-this.o.maxBuffered);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush() {
    this.flushTimer = null;
    const list = this.pending;
    this.pending = [];
    if (list.length) this.o.onEntries(list);
  }

  /** The server dropped entries this client read too slowly to receive. */
  private readonly onDropped = (ev: MessageEvent) => {
    const event = parseDropped(ev.data);
    if (event === null) return;
    this.dropped += event.dropped;
    this.droppedAtLeast ||= event.atLeast;
    this.status(`streaming · ${formatSkipped(this.dropped, this.droppedAtLeast)} (too fast to show)`);
  };

  private open() {
    this.close();
    this.currentUrl = this.o.url();
    const source = new EventSource(this.currentUrl);
    this.source = source;
    this.status("connecting…");
    this.o.liveButton.dataset.state = "connecting";
    source.onopen = () => {
      this.refusals = 0;
      this.status(this.paused ? "paused" : "streaming");
      this.o.liveButton.dataset.state = "open";
      // entries committed before the stream (re)connected would be missed: let the page fetch them
      this.o.onOpen();
    };
    source.onmessage = this.handle;
    for (const name of ["log", "entry", "entries"])
      source.addEventListener(name, this.handle as EventListener);
    source.addEventListener("dropped", this.onDropped as EventListener);
    source.onerror = () => {
      if (this.source !== source) return;
      if (source.readyState !== EventSource.CLOSED) {
        this.o.liveButton.dataset.state = "connecting";
        this.status("reconnecting…");
        return;
      }
      // The server refused the stream (a 401, a 503 past its stream cap…): EventSource gives up.
      // Ask through fetch, which shows the token prompt on a 401, then reconnect, waiting twice
      // as long after each refusal in a row (1 s … 30 s): a server at its cap asked every second
      // by every open page stays at its cap.
      const waitMs = Math.min(MAX_RETRY_MS, 1000 * 2 ** this.refusals++);
      this.o.liveButton.dataset.state = "error";
      this.status(`disconnected — retrying in ${Math.round(waitMs / 1000)} s`);
      source.close();
      this.source = null;
      this.reconnectTimer = setTimeout(() => {
        getJson<Readiness>("/readyz", undefined, { okStatuses: [503] })
          .then(() => {
            if (this.o.wanted()) this.open();
          })
          .catch((err) => {
            this.status(
              err instanceof HttpError && err.status === 401 ? "sign-in required" : "server unreachable",
            );
            if (this.o.wanted()) this.reconnectTimer = setTimeout(() => this.open(), 5000);
          });
      }, waitMs);
    };
    this.tickTimer = setInterval(() => {
      if (!this.paused) this.o.onTick();
    }, this.o.tickMs);
  }

  private close() {
    this.source?.close();
    this.source = null;
    this.currentUrl = "";
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.tickTimer = this.reconnectTimer = this.flushTimer = null;
    this.pending = [];
    this.dropped = 0;
    this.droppedAtLeast = false;
    this.o.liveButton.dataset.state = "off";
  }

  private setPaused(paused: boolean) {
    this.paused = paused;
    this.o.pauseButton.setAttribute("aria-pressed", String(paused));
    this.o.pauseButton.textContent = paused ? "Resume" : "Pause";
    if (paused) {
      this.flush();
      this.status("paused");
      return;
    }
    const pending = this.buffer;
    this.buffer = [];
    if (pending.length) this.o.onEntries(pending);
    this.status(this.source ? "streaming" : "connecting…");
  }
}

/** Longest wait before asking again for a stream the server keeps refusing. */
const MAX_RETRY_MS = 30_000;
