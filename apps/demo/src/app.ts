// The HTTP application: every route of SPEC §4 on a fastify instance, without listening.
// `startServer` (server.ts) wires storage, service and app together and listens.
import type { LogService } from "@batchlog/service";
import type { LogStorage } from "@batchlog/storage";
import compress from "@fastify/compress";
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from "fastify";
import type { Logger } from "pino";
import { trackAllowedMethods } from "./allowed-methods.js";
import { bearerAuth } from "./auth.js";
import { browserGuard } from "./browser-guard.js";
import { answerClientError, statusAnsweredOn } from "./client-errors.js";
import { refuseWhileClosing } from "./closing.js";
import type { Config } from "./config.js";
import { limitConnections } from "./connection-limit.js";
import { createErrorHandler, sendError } from "./http-errors.js";
import type { Metrics } from "./metrics.js";
import { withoutListenLine } from "./quiet-listen.js";
import { deleteRoutes } from "./routes/delete.js";
import { exportRoutes } from "./routes/export.js";
import { healthRoutes } from "./routes/health.js";
import { ingestRoutes } from "./routes/ingest.js";
import { queryRoutes } from "./routes/query.js";
import { TailStreams, tailRoutes } from "./routes/tail.js";
import { uiRoutes } from "./routes/ui.js";

/** The plugin's own list (text but SSE, JSON, XML, octet-stream), plus the export's NDJSON. */
const COMPRESSIBLE_TYPES =
  /^text\/(?!event-stream)|(?:\+|\/)json(?:;|$)|\/x-ndjson(?:;|$)|(?:\+|\/)text(?:;|$)|(?:\+|\/)xml(?:;|$)|octet-stream(?:;|$)/u;

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
    loggerInstance: withoutListenLine(logger),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    // Slow clients (a body trickled byte by byte, headers never finished) would otherwise hold a
    // socket for as long as they like: fastify's requestTimeout default is 0 (none). Both limits
    // end when the request has been received, so a live-tail stream or a ?wait=true answer
    // waiting for its commit is never cut by them. Node checks them every
    // connectionsCheckingInterval (30 s by default), which would let a 10 s limit run to 40 s.
    requestTimeout: config.http.requestTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.http.headersTimeoutMs),
    },
    // Idle keep-alive sockets close at shutdown; requests in flight finish (their entries commit).
    forceCloseConnections: "idle",
    // Requests arriving while the server closes get refuseWhileClosing's answer instead of
    // fastify's, whose body has another shape and which logs a line per refused request.
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
  });
  // Responses over 1 KiB in the encoding the client asks for: a 1000-entry search page or the UI
  // shrink to a tenth over a network. Not request bodies: the service decodes those itself, within
  // the body limit after decompression (a compressed bomb is refused, not inflated), nor SSE.
  app.register(compress, {
    global: true,
    globalDecompression: false,
    threshold: 1024,
    customTypes: COMPRESSIBLE_TYPES,
  });
  limitConnections(app.server, config.http.maxConnections, logger);
  metrics?.trackConnections(app.server);
  const streams = new TailStreams();

  app.setErrorHandler(createErrorHandler());
  const allowedMethods = trackAllowedMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0];
    const allowed = allowedMethods(request.url);
    if (allowed === undefined)
      return sendError(reply, 404, "BATCHLOG_NOT_FOUND", `no route ${request.method} ${path}`);
    reply.header("allow", allowed.join(", "));
    return sendError(
      reply,
      405,
      "BATCHLOG_METHOD_NOT_ALLOWED",
      `${request.method} is not allowed on ${path} (allowed: ${allowed.join(", ")})`,
    );
  });
  refuseWhileClosing(app);
  app.addHook(
    "onRequest",
    browserGuard({ listenHost: config.host, authenticated: config.token !== undefined }),
  );
  if (config.token !== undefined) app.addHook("onRequest", bearerAuth(config.token));
  // A live-tail stream is counted when it starts (a stream the client hangs up never reaches
  // onResponse), and not again if the server ends it.
  const streamsCounted = new WeakSet<FastifyRequest>();
  const count = (request: FastifyRequest, status: number) =>
    metrics?.observeResponse(request.routeOptions.url ?? "unmatched", request.method, status);
  if (metrics !== undefined) {
    app.addHook("onResponse", async (request, reply) => {
      if (!streamsCounted.has(request)) count(request, reply.statusCode);
    });
    // The connection closed before the answer was written (fastify's onRequestAbort misses a
    // client that sent its whole body, then gave up waiting for the commit). A live-tail stream
    // the client hangs up is counted as the 200 it started with, not here.
    app.addHook("onRequest", (request, reply, done) => {
      const socket = request.raw.socket;
      reply.raw.once("close", () => {
        if (reply.raw.writableFinished || streamsCounted.has(request)) return;
        // a 408 the server sent itself (the body stopped arriving) is a response, not an abort
        const answered = statusAnsweredOn(socket);
        if (answered !== undefined) count(request, answered);
        else metrics.observeAbort(request.routeOptions.url ?? "unmatched", request.method);
      });
      done();
    });
  }
  // Live-tail streams never end by themselves: end them so that close() can finish.
  app.addHook("preClose", async () => streams.endAll());

  app.register(healthRoutes, { storage, metrics, readyFailureGraceMs: config.readyFailureGraceMs });
  app.register(ingestRoutes, { service, metrics, bodyLimitBytes: config.bodyLimitBytes });
  app.register(queryRoutes, { service, metrics });
  app.register(exportRoutes, { service, metrics });
  app.register(deleteRoutes, { service });
  app.register(tailRoutes, {
    service,
    streams,
    maxBuffered: config.tail.maxBuffered,
    maxClients: config.tail.maxClients,
    heartbeatMs: config.tail.heartbeatMs,
    stallTimeoutMs: config.tail.stallTimeoutMs,
    onStreamStarted: (request: FastifyRequest) => {
      streamsCounted.add(request);
      count(request, 200);
    },
  });
  app.register(uiRoutes, uiFile === undefined ? {} : { file: uiFile });
  return app;
}

// The e2e harness (test/e2e) imports the server factory and config loader from this module.
export { loadConfig } from "./config.js";
export { startServer } from "./server.js";
