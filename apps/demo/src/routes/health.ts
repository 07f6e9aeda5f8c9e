// Liveness, readiness and Prometheus metrics.
import type { LogStorage } from "@batchlog/storage";
import type { FastifyInstance } from "fastify";
import type { Metrics } from "../metrics.js";
import { readinessOf } from "../readiness.js";

export interface HealthRouteOptions {
  storage: LogStorage;
  metrics: Metrics | undefined;
  /** Write failures younger than this leave the server ready. */
  readyFailureGraceMs: number;
}

export async function healthRoutes(
  app: FastifyInstance,
  { storage, metrics, readyFailureGraceMs }: HealthRouteOptions,
) {
  // Liveness only: answers while the event loop turns, whatever the database does.
  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const health = storage.health();
    const { status, reasons } = readinessOf(health, readyFailureGraceMs);
    reply.code(status === "ok" ? 200 : 503);
    return {
      status,
      queue: health.queue,
      lastCommitAt: health.lastCommitAt,
      consecutiveFailures: health.consecutiveFailures,
      failingSince: health.failingSince,
      diskReserve: health.diskReserve,
      reasons,
    };
  });

  // Loki's readiness path: shippers such as Vector health-check their Loki endpoint with it.
  app.get("/ready", async (_request, reply) => {
    const ok = readinessOf(storage.health(), readyFailureGraceMs).status === "ok";
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
