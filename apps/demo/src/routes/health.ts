// Liveness, readiness and Prometheus metrics.
import type { LogStorage } from "@batchlog/storage";
import type { FastifyInstance } from "fastify";
import type { Metrics } from "../metrics.js";

export async function healthRoutes(
  app: FastifyInstance,
  { storage, metrics }: { storage: LogStorage; metrics: Metrics | undefined },
) {
  // Liveness only: answers while the event loop turns, whatever the database does.
  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const health = storage.health();
    reply.code(health.status === "ok" ? 200 : 503);
    return {
      status: health.status,
      queue: health.queue,
      lastCommitAt: health.lastCommitAt,
      consecutiveFailures: health.consecutiveFailures,
      diskReserve: health.diskReserve,
      reasons: health.reasons,
    };
  });

  // Loki's readiness path: shippers such as Vector health-check their Loki endpoint with it.
  app.get("/ready", async (_request, reply) => {
    const ok = storage.health().status === "ok";
    return reply
      .code(ok ? 200 : 503)
      .type("text/plain; charset=utf-8")
      .send(ok ? "ready\n" : "not ready\n");
  });

  app.get("/metrics", async (_request, reply) => {
    if (metrics === undefined)
      return reply.code(404).send({ error: "metrics are disabled", code: "BATCHLOG_NOT_FOUND" });
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
}
