// A search's matches as a download: NDJSON, one entry per line as the search route returns it
// (id, ISO timestamp, level, source, message, fields), newest first. Read a page at a time as the
// client takes them, so memory stays at a page whatever the export's size; a client that goes away
// stops the reads.
import { Readable } from "node:stream";
import type { LogService } from "@batchlog/service";
import type { LogEntry } from "@batchlog/storage";
import type { FastifyInstance } from "fastify";
import type { Metrics } from "../metrics.js";
import { searchParamsOf } from "./query.js";
import { readTimer } from "./read-timer.js";

export async function exportRoutes(
  app: FastifyInstance,
  { service, metrics }: { service: LogService; metrics: Metrics | undefined },
) {
  const timed = readTimer(metrics);
  app.get("/api/logs/export", async (request, reply) => {
    // a bad parameter or q is a 400 here, before the 200 and the first line; each page read
    // (1000 entries) is timed as a query of kind "export"
    const { pages } = await service.exportEntries(searchParamsOf(request), (read) => timed("export", read));
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    reply
      .header("content-type", "application/x-ndjson; charset=utf-8")
      .header("content-disposition", `attachment; filename="batchlog-${stamp}.ndjson"`)
      .header("cache-control", "no-store");
    // A read that fails mid-way destroys the stream: the response ends without its final chunk,
    // which clients report as a truncated transfer instead of taking a short file for the whole.
    return reply.send(Readable.from(ndjson(pages)));
  });
}

async function* ndjson(pages: AsyncIterable<LogEntry[]>): AsyncGenerator<string> {
  for await (const page of pages) {
    if (page.length > 0) yield `${page.map((entry) => JSON.stringify(entry)).join("\n")}\n`;
  }
}
