// The HTTP application: every route of SPEC §4 on a fastify instance, without listening.
// `startServer` (server.ts) wires storage, service and app together and listens.
import type { LogService } from "@batchlog/service";
import type { LogStorage } from "@batchlog/storage";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Logger } from "pino";
import { bearerAuth } from "./auth.js";
import type { Config } from "./config.js";
import { errorHandler, sendError } from "./http-errors.js";
import type { Metrics } from "./metrics.js";
import { healthRoutes } from "./routes/health.js";
import { ingestRoutes } from "./routes/ingest.js";
import { queryRoutes } from "./routes/query.js";
import { TailStreams, tailRoutes } from "./routes/tail.js";
import { uiRoutes } from "./routes/ui.js";

export interface AppDeps {
  config: Config;
  storage: LogStorage;
  service: LogService;
  logger: Logger;
  /** Prometheus metrics; /metrics answers 404 without them. */
  metrics?: Metrics;
  /** Path of the built UI (defaults to ui/dist/index.html). */
  uiFile?: string;
}

/** Builds the fastify instance with every route. Call `listen()` (or `inject()`) on it. */
export function createApp({ config, storage, service, logger, metrics, uiFile }: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    // Idle keep-alive sockets close at shutdown; requests in flight finish (their entries commit).
    forceCloseConnections: "idle",
    return503OnClosing: true,
  });
  const streams = new TailStreams();

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, "BATCHLOG_NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`),
  );
  if (config.token !== undefined) app.addHook("onRequest", bearerAuth(config.token));
  if (metrics !== undefined) countResponses(app, metrics);
  // Live-tail streams never end by themselves: end them so that close() can finish.
  app.addHook("preClose", async () => streams.endAll());

  app.register(healthRoutes, { storage, metrics });
  app.register(ingestRoutes, { service, metrics, bodyLimitBytes: config.bodyLimitBytes });
  app.register(queryRoutes, { service });
  app.register(tailRoutes, {
    service,
    streams,
    maxBuffered: config.tail.maxBuffered,
    maxClients: config.tail.maxClients,
    heartbeatMs: config.tail.heartbeatMs,
  });
  app.register(uiRoutes, uiFile === undefined ? {} : { file: uiFile });
  return app;
}

/**
 * Counts every response once in `batchlog_http_responses_total`: when it finishes (onResponse),
 * or, for a hijacked reply (the live tail's SSE stream), as soon as its handler has started it:
 * fastify runs onResponse on the socket's "finish", which a stream the client hangs up never sees.
 */
function countResponses(app: FastifyInstance, metrics: Metrics) {
  const counted = new WeakSet<FastifyRequest>();
  const count = (request: FastifyRequest, reply: FastifyReply) => {
    if (counted.has(request)) return;
    counted.add(request);
    metrics.observeResponse(request.routeOptions.url ?? "unmatched", request.method, reply.statusCode);
  };
  app.addHook("onResponse", async (request, reply) => count(request, reply));
  app.addHook("onRoute", (route) => {
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request, reply) {
      // `sent` without an ended response: hijacked and still streaming.
      const countIfStreaming = () => {
        if (reply.sent && !reply.raw.writableEnded) count(request, reply);
      };
      const result = handler.call(this, request, reply);
      if (result instanceof Promise) {
        return result.then((value: unknown) => {
          countIfStreaming();
          return value;
        });
      }
      countIfStreaming();
      return result;
    };
  });
}

// The e2e harness (test/e2e) imports the server factory and config loader from this module.
export { loadConfig } from "./config.js";
export { startServer } from "./server.js";
