// Shutdown: a request that arrives once the server is closing (on a keep-alive connection still
// busy with an earlier one) is refused with the usual JSON error and Retry-After, so shippers
// retry it; fastify then closes the connection. Requests already in flight finish normally, and
// /healthz on such a connection still answers 200: the process is alive while it drains. (New
// connections are refused: the listener closes at the signal; see the README.)
import type { FastifyInstance } from "fastify";
import { sendError } from "./http-errors.js";

/** Seconds a client should wait: the time a supervisor takes to restart the server. */
const RETRY_AFTER_SECONDS = 5;

export function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  // A request in flight at shutdown is answered with `Connection: close`: otherwise its client
  // (every HTTP client pool) keeps the connection open and idle, and the server's close waits for
  // the keep-alive timeout — past the shutdown timeout, so the storage was never closed.
  // Callback-style hooks: they run on every request, and an async one costs a promise and a
  // microtask hop each time for a flag that is false until shutdown.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) reply.header("connection", "close");
    done(null, payload);
  });
  app.addHook("onRequest", (request, reply, done) => {
    if (!closing || request.routeOptions.url === "/healthz") return done();
    // answered here: done() is not called, so the route never runs
    sendError(
      reply,
      503,
      "BATCHLOG_SHUTTING_DOWN",
      "the server is shutting down; retry later",
      RETRY_AFTER_SECONDS,
    );
  });
}
