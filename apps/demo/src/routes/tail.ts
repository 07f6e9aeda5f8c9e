// Live tail over Server-Sent Events: one `message` event per committed entry (id = entry id,
// data = the entry as JSON), filtered like a search, with heartbeat comments. A client that reads
// too slowly is paused on backpressure and loses the oldest entries beyond its buffer, reported
// in a `dropped` event; the server's memory stays bounded.
import type { LogService, TailFilter } from "@batchlog/service";
import type { LogEntry } from "@batchlog/storage";
import type { FastifyInstance } from "fastify";
import { sendError } from "../http-errors.js";
import { searchParamsOf } from "./query.js";

export interface TailRouteOptions {
  service: LogService;
  maxBuffered: number;
  /** Streams open at once; one more is answered 503. */
  maxClients: number;
  heartbeatMs: number;
  streams: TailStreams;
}

/** The open streams, so that shutdown can end them (fastify.close() would wait for them forever). */
export class TailStreams {
  readonly #open = new Set<() => void>();
  add(end: () => void): () => void {
    this.#open.add(end);
    return () => this.#open.delete(end);
  }
  get size(): number {
    return this.#open.size;
  }
  endAll(): void {
    for (const end of [...this.#open]) end();
  }
}

export async function tailRoutes(
  app: FastifyInstance,
  { service, maxBuffered, maxClients, heartbeatMs, streams }: TailRouteOptions,
) {
  app.get("/api/logs/tail", async (request, reply) => {
    const { limit: _limit, cursor: _cursor, ...filter } = service.parseSearchQuery(searchParamsOf(request));
    if (streams.size >= maxClients) {
      return sendError(
        reply,
        503,
        "BATCHLOG_TAIL_BUSY",
        `${maxClients} live-tail streams are open; retry later`,
        10,
      );
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(": batchlog live tail\nretry: 3000\n\n");

    let reported = 0;
    const subscription = service.subscribe(
      filter as TailFilter,
      (entries: LogEntry[]) => {
        let chunk = "";
        const dropped = subscription.dropped();
        if (dropped > reported) {
          chunk += `event: dropped\ndata: ${JSON.stringify({ dropped: dropped - reported })}\n\n`;
          reported = dropped;
        }
        for (const entry of entries) chunk += `id: ${entry.id}\ndata: ${JSON.stringify(entry)}\n\n`;
        if (!res.write(chunk)) {
          subscription.pause();
          res.once("drain", () => subscription.resume());
        }
      },
      { maxBuffered },
    );
    const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), heartbeatMs);
    heartbeat.unref();

    let ended = false;
    const cleanup = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      subscription.unsubscribe();
      forget();
    };
    const forget = streams.add(() => {
      cleanup();
      res.end();
    });
    res.on("close", cleanup);
    res.on("error", cleanup);
  });
}
