// Read routes: search, an entry's context, recent entries, field suggestions, volume statistics.
// Parameters are read from the raw query string so that repeated parameters
// (level=warn&level=error) keep every value.
import type { LogService } from "@batchlog/service";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Metrics } from "../metrics.js";
import { readTimer } from "./read-timer.js";

export function searchParamsOf(request: FastifyRequest): URLSearchParams {
  const at = request.url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : request.url.slice(at + 1));
}

export async function queryRoutes(
  app: FastifyInstance,
  { service, metrics }: { service: LogService; metrics: Metrics | undefined },
) {
  const timed = readTimer(metrics);

  app.get("/api/logs", async (request) => {
    const params = searchParamsOf(request);
    const kind = (params.get("q") ?? "").trim() === "" ? "search" : "full_text";
    const page = await timed(kind, () => service.search(params));
    return { entries: page.entries, nextCursor: page.nextCursor ?? null };
  });

  // the entries around one (a UI's "show context"): its neighbours in the search order, filtered
  app.get<{ Params: { id: string } }>("/api/logs/:id/context", async (request) =>
    timed("context", () => service.context(request.params.id, searchParamsOf(request))),
  );

  app.get("/api/logs/recent", async (request) => {
    const { entries } = await timed("recent", () => service.recent(searchParamsOf(request)));
    return { entries };
  });

  // the fields keys of the newest matches and their common values: filter suggestions
  app.get("/api/fields", async (request) => timed("fields", () => service.fields(searchParamsOf(request))));

  app.get("/api/stats", async (request) => {
    const volume = await timed("stats", () => service.volume(searchParamsOf(request)));
    return {
      from: volume.from,
      to: volume.to,
      bucketMs: volume.bucketMs,
      buckets: volume.buckets,
      totals: { ...volume.totals, all: volume.total },
      total: volume.total,
    };
  });
}
