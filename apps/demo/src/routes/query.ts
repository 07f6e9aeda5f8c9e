// Read routes: search, recent entries, volume statistics. Parameters are read from the raw query
// string so that repeated parameters (level=warn&level=error) keep every value.
import type { LogService } from "@batchlog/service";
import type { FastifyInstance, FastifyRequest } from "fastify";

export function searchParamsOf(request: FastifyRequest): URLSearchParams {
  const at = request.url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : request.url.slice(at + 1));
}

export async function queryRoutes(app: FastifyInstance, { service }: { service: LogService }) {
  app.get("/api/logs", async (request) => {
    const page = await service.search(searchParamsOf(request));
    return { entries: page.entries, nextCursor: page.nextCursor ?? null };
  });

  app.get("/api/logs/recent", async (request) => {
    const { entries } = await service.recent(searchParamsOf(request));
    return { entries };
  });

  app.get("/api/stats", async (request) => {
    const volume = await service.volume(searchParamsOf(request));
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
