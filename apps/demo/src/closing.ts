// Shutdown: a request that arrives once the server is closing (on a keep-alive connection still
// busy with an earlier one) is refused with the usual JSON error and Retry-After, so shippers
// retry it; fastify then closes the connection. Requests already in flight finish normally, and
// /healthz still answers 200: the process is alive while it drains, and a supervisor watching
// liveness must not kill it halfway through.
import type { FastifyInstance } from "fastify";
import { sendError } from "./http-errors.js";

/** Seconds a client should wait: the time a supervisor takes to restart the server. */
const RETRY_AFTER_SECONDS = 5;

export function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", async (request, reply) => {
    if (!closing || request.routeOptions.url === "/healthz") return;
    return sendError(
      reply,
      503,
      "BATCHLOG_SHUTTING_DOWN",
      "the server is shutting down; retry later",
      RETRY_AFTER_SECONDS,
    );
  });
}
