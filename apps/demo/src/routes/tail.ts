// Live tail over Server-Sent Events: one `message` event per committed entry (id = entry id,
// data = the entry as JSON), filtered like a search, with heartbeat comments. A client that
// reconnects with Last-Event-ID (EventSource does) first gets the entries committed meanwhile.
// A client that reads too slowly is paused on backpressure and loses the oldest entries beyond its
// buffer, reported in a `dropped` event; the server's memory stays bounded. One that reads nothing
// for stallTimeoutMs while entries wait is closed, so it cannot hold a stream slot for ever. A resume from an old
// id counts what it skipped only back to the storage's window: that event says `"atLeast": true`.
import { BadRequestError, type LogService, type TailFilter } from "@batchlog/service";
import type { LogEntry } from "@batchlog/storage";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { sendError } from "../http-errors.js";
import { searchParamsOf } from "./query.js";

export interface TailRouteOptions {
  service: LogService;
  maxBuffered: number;
  /** Streams open at once; one more is answered 503. */
  maxClients: number;
  heartbeatMs: number;
  /** A client that has taken nothing this long while entries wait for its socket is dropped. */
  stallTimeoutMs: number;
  streams: TailStreams;
  /** Called once the stream's 200 is written (metrics: onResponse misses a hijacked reply). */
  onStreamStarted?: (request: FastifyRequest) => void;
}

/** The open streams, so that shutdown can end them (fastify.close() would wait for them forever). */
export class TailStreams {
  readonly #open = new Set<() => void>();
  #closing = false;
  /** endAll() has run: a stream that gets this far afterwards would never be ended. */
  get closing(): boolean {
    return this.#closing;
  }
  add(end: () => void): () => void {
    this.#open.add(end);
    return () => this.#open.delete(end);
  }
  get size(): number {
    return this.#open.size;
  }
  endAll(): void {
    this.#closing = true;
    for (const end of [...this.#open]) end();
  }
}

export async function tailRoutes(
  app: FastifyInstance,
  {
    service,
    maxBuffered,
    maxClients,
    heartbeatMs,
    stallTimeoutMs,
    streams,
    onStreamStarted,
  }: TailRouteOptions,
) {
  // No HEAD: it would open a stream that never ends (uptime checkers send HEAD); it gets 405.
  app.get("/api/logs/tail", { exposeHeadRoute: false }, async (request, reply) => {
    const busy = () =>
      sendError(
        reply,
        503,
        "BATCHLOG_TAIL_BUSY",
        `${maxClients} live-tail streams are open; retry later`,
        10,
      );
    const params = searchParamsOf(request);
    const { limit: _limit, cursor: _cursor, ...filter } = service.parseSearchQuery(params);
    // Refused before q is checked on the reader thread: clients retrying past the cap cost nothing.
    if (streams.size >= maxClients) return busy();
    if (filter.text !== undefined) await checkTextAsSearchDoes(service, params.get("q") ?? "");
    const afterId = lastEventId(request.headers["last-event-id"]);
    // shutdown began while q was checked: a stream opened now would outlive the end of the others
    if (streams.closing) {
      return sendError(reply, 503, "BATCHLOG_SHUTTING_DOWN", "the server is shutting down", 5);
    }
    // again: other streams may have opened while q was checked
    if (streams.size >= maxClients) return busy();
    const res = reply.raw;
    let reported = 0;
    let reportedLowerBound = false;
    // Events delivered and not yet written: the socket takes them a slice at a time, so that a
    // client that stops reading holds one slice in its socket buffer, not a whole delivery (1000
    // entries of up to 64 KiB each, per stream). The texts are shared by every stream.
    let unwritten: string[] = [];
    let next = 0;
    let waitingForDrain = false;
    let stallTimer: NodeJS.Timeout | undefined;
    const writeUnwritten = () => {
      while (next < unwritten.length) {
        let chunk = "";
        while (next < unwritten.length && chunk.length < SLICE_CHARS) chunk += unwritten[next++];
        if (!res.write(chunk)) {
          // paused meanwhile, entries wait in the subscription's bounded buffer (drop-oldest)
          subscription.pause();
          waitingForDrain = true;
          // the socket stays open at a zero TCP window for as long as the peer lives: without a
          // limit a client that stopped reading would keep its slot (and a slice) until restart
          stallTimer = setTimeout(() => {
            request.log.info(
              { stalledMs: stallTimeoutMs },
              "live-tail client read nothing while entries waited; stream closed",
            );
            res.destroy();
          }, stallTimeoutMs);
          stallTimer.unref();
          res.once("drain", () => {
            clearTimeout(stallTimer);
            waitingForDrain = false;
            writeUnwritten();
          });
          return;
        }
      }
      unwritten = [];
      next = 0;
      subscription.resume();
    };
    // Subscribed before the 200 so that a filter the tail cannot compile is still an error answer;
    // entries are delivered on a later macrotask, after the headers below.
    const subscription = service.subscribe(
      filter as TailFilter,
      (entries: LogEntry[]) => {
        const dropped = subscription.dropped();
        if (dropped > reported) {
          // a resume's count stopped at the storage's window: this event's figure is "at least"
          const atLeast = subscription.droppedIsLowerBound() && !reportedLowerBound;
          const data = { dropped: dropped - reported, ...(atLeast && { atLeast: true }) };
          unwritten.push(`event: dropped\ndata: ${JSON.stringify(data)}\n\n`);
          reported = dropped;
          reportedLowerBound ||= atLeast;
        }
        for (const entry of entries) unwritten.push(sseEvent(entry));
        if (!waitingForDrain) writeUnwritten();
      },
      { maxBuffered, ...(afterId !== undefined && { afterId }) },
    );
    let ended = false;
    let heartbeat: NodeJS.Timeout | undefined;
    const cleanup = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      clearTimeout(stallTimer);
      subscription.unsubscribe();
      forget();
    };
    // counted among the open streams from here: a burst of resuming clients cannot pass the cap
    const forget = streams.add(() => {
      cleanup();
      // shutdown while the missed entries were read: no 200 yet. A bare end would be a 200 without
      // text/event-stream, which EventSource takes as fatal and never retries; a 503 it retries.
      if (!res.headersSent) {
        res.writeHead(503, { "content-type": "application/json", "retry-after": "5", connection: "close" });
        res.end(JSON.stringify({ error: "the server is shutting down", code: "BATCHLOG_SHUTTING_DOWN" }));
      } else res.end();
    });
    try {
      // the entries missed since Last-Event-ID are read before the 200: a failure is an error answer
      await subscription.caughtUp;
    } catch (error) {
      cleanup();
      throw error;
    }
    reply.hijack();
    if (ended || res.destroyed || res.socket?.destroyed !== false) {
      // ended by shutdown, or gone while its history was read (its close event has passed)
      cleanup();
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(": batchlog live tail\nretry: 3000\n\n");
    onStreamStarted?.(request);
    heartbeat = setInterval(() => res.write(": heartbeat\n\n"), heartbeatMs);
    heartbeat.unref();
    res.on("close", cleanup);
    res.on("error", cleanup);
  });
}

/** Characters written to a stream at once (see writeUnwritten): about the socket's own buffer. */
const SLICE_CHARS = 64 * 1024;

/**
 * Every stream is handed the same entry objects: each is written out once, not once per stream.
 * With 100 streams (the default cap) a 1,000-entry commit was 100,000 JSON.stringify calls in one
 * turn of the event loop (/healthz waited 0.3 s; 0.55 s for a 10,000-entry burst).
 */
const eventTexts = new WeakMap<LogEntry, string>();

function sseEvent(entry: LogEntry): string {
  let text = eventTexts.get(entry);
  if (text === undefined) {
    text = `id: ${entry.id}\ndata: ${JSON.stringify(entry)}\n\n`;
    eventTexts.set(entry, text);
  }
  return text;
}

/** The entry id an EventSource resumes from; anything else is a 400 (this server sends only ids). */
function lastEventId(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header.at(-1) : header;
  if (value === undefined || value.trim() === "") return undefined;
  if (!/^\s*\d{1,15}\s*$/.test(value)) {
    throw new BadRequestError("Last-Event-ID: not an entry id sent by this live tail", {
      param: "Last-Event-ID",
    });
  }
  return Number(value);
}

/**
 * Rejects a `q` exactly as GET /api/logs does: it runs through the same service.search (same
 * normalization, the storage's own FTS5 parser, the same ValidationError → 400 mapping), for one
 * row. A parser of our own could only approximate FTS5's; this cannot disagree with it. Cost: one
 * indexed query per stream opened: on a 1M-entry file, median 0.5 ms for words and phrases,
 * 4 ms for a prefix.
 */
async function checkTextAsSearchDoes(service: LogService, q: string): Promise<void> {
  await service.search(new URLSearchParams({ q, limit: "1" }));
}
