// Wires the pieces together: storage → service → metrics → app, listens, and starts the
// background jobs (retention, statistics line, sample traffic). `stop()` is the graceful shutdown.
import { createLogService, type LogService, type RetentionHandle } from "@batchlog/service";
import { type LogStorage, openLogStorage, redactUrl } from "@batchlog/storage";
import type { FastifyInstance } from "fastify";
import { type Logger, pino } from "pino";
import { createApp } from "./app.js";
import type { Config } from "./config.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { FASTIFY_LISTEN_TEXT } from "./quiet-listen.js";
import { backfillSampleHistory, startSampleTraffic } from "./sample-traffic.js";
import { startStatsReporter } from "./stats-reporter.js";
import { guardStdout } from "./stdout-guard.js";

export interface RunningServer {
  /** http://host:port of the listening server. */
  url: string;
  fastify: FastifyInstance;
  storage: LogStorage;
  service: LogService;
  metrics: Metrics;
  logger: Logger;
  /**
   * Graceful shutdown: stop the background jobs, stop accepting requests and let those in flight
   * finish, end live-tail streams, then drain the storage queue and close the database. Idempotent.
   */
  stop(): Promise<StopReport>;
}

export interface StopReport {
  /**
   * `?wait=false` entries, answered 202, whose commit failed while the server stopped (a database
   * still failing when the drain timed out): lost, and their clients will not resend them.
   */
  acceptedEntriesLost: number;
}

export interface StartOptions {
  logger?: Logger;
  /** Path of the built UI file (tests). */
  uiFile?: string;
  /** Period of the "still opening the database" warning (tests). */
  stillOpeningMs?: number;
}

/** At shutdown, how long requests in flight have to reach the queue before the storage closes. */
const IN_FLIGHT_GRACE_MS = 1000;

/** Resolves after `ms`, without keeping the process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function createLogger(config: Pick<Config, "logLevel">): Logger {
  guardStdout();
  return pino({ level: config.logLevel, base: { app: "batchlog" } });
}

/** Until the database opens, a warning every this often: a server that never answers is otherwise silent. */
const STILL_OPENING_MS = 10_000;

/**
 * Opens the storage, saying so when it takes a while: a libSQL server that accepts connections and
 * never answers held the start silent for 5 minutes (undici's headers timeout; longer over ws://).
 * No deadline of our own: an embedded replica's first sync of a large database may take minutes.
 */
async function openSaying(config: Config, logger: Logger, everyMs: number): Promise<LogStorage> {
  const db = config.storage.url === undefined ? undefined : redactUrl(config.storage.url);
  const started = performance.now();
  const timer = setInterval(() => {
    const waitedSeconds = Math.round((performance.now() - started) / 1000);
    logger.warn(
      { db, waitedSeconds },
      "still opening the database (is the server at BATCHLOG_DB_URL answering?)",
    );
  }, everyMs);
  try {
    return await openLogStorage({ ...config.storage, logger: logger.child({ component: "storage" }) });
  } finally {
    clearInterval(timer);
  }
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config);
  const storage = await openSaying(config, logger, options.stillOpeningMs ?? STILL_OPENING_MS);
  const service = createLogService({
    storage,
    maxBodyBytes: config.bodyLimitBytes,
    limits: {
      ...(config.storage.maxMessageBytes !== undefined && {
        maxMessageBytes: config.storage.maxMessageBytes,
      }),
      ...(config.storage.maxFieldsBytes !== undefined && { maxFieldsBytes: config.storage.maxFieldsBytes }),
    },
    logger: logger.child({ component: "service" }),
    ...(config.maxFutureMs !== undefined && { maxFutureMs: config.maxFutureMs }),
  });
  const metrics = createMetrics(storage, service, config.readyFailureGraceMs);
  const fastify = createApp({
    config,
    storage,
    service,
    logger,
    metrics,
    ...(options.uiFile !== undefined && { uiFile: options.uiFile }),
  });
  let address: string;
  try {
    address = await fastify.listen({
      host: config.host,
      port: config.port,
      listenTextResolver: () => FASTIFY_LISTEN_TEXT,
    });
  } catch (error) {
    await fastify.close().catch(() => {});
    await service.close().catch(() => {});
    metrics.close();
    await storage.close().catch(() => {});
    throw error;
  }
  const url = address.replace("0.0.0.0", "127.0.0.1");
  // Logged as soon as requests are served (before the sample backfill), the only listening line.
  // (libsql://…?authToken=… and http://user:password@… carry a secret in the URL)
  const db = config.storage.url === undefined ? undefined : redactUrl(config.storage.url);
  // and what decides which entries go: a retention set by mistake shows before its first run
  logger.info(
    {
      url,
      db,
      auth: config.token !== undefined,
      ...(config.configFile !== undefined && { configFile: config.configFile }),
      retention: config.retention ?? "off",
    },
    "batchlog is listening",
  );

  let retention: RetentionHandle | undefined;
  if (config.retention !== undefined) retention = service.startRetention({ ...config.retention });
  const stats = startStatsReporter(storage, service, logger, config.statsIntervalMs);
  if (config.generate > 0) {
    await backfillSampleHistory(service, storage, config.generate, logger).catch((error: unknown) =>
      logger.warn({ err: error }, "sample traffic: backfill failed"),
    );
  }
  const traffic = config.generate > 0 ? startSampleTraffic(service, config.generate, logger) : undefined;

  let stopping: Promise<StopReport> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // wait=true entries that fail get a 503 and are resent; those answered 202 are only counted
      const lateFailuresBefore = service.stats().lateFailures;
      traffic?.stop();
      // No more runs; one under way ends after its current chunk once the storage closes below.
      // Awaited first, a run deleting a million rows kept the server taking requests (202s
      // included) for its whole length, past the shutdown timeout.
      const retentionStopped = retention?.stop();
      // Requests in flight (and ?wait=false entries) wait for their commits: on a failing database
      // that lasts up to the write timeout (30 s), as long as the whole shutdown may take. Give them
      // a moment to be read and queued, then close the storage anyway: its drain (drainTimeoutMs)
      // settles every queued entry, committed or refused, which answers them.
      const settled = Promise.all([fastify.close(), service.close()]);
      await Promise.race([settled, delay(IN_FLIGHT_GRACE_MS)]);
      metrics.close();
      await storage.close();
      await retentionStopped;
      // What is still in flight now is a client that stopped sending (a stalled upload): nothing it
      // sends could be stored any more. Cut it off instead of waiting out the shutdown timeout.
      await Promise.race([settled, delay(IN_FLIGHT_GRACE_MS)]);
      fastify.server.closeAllConnections();
      await settled;
      // every entry has settled by now: the storage's close drained its queue, committed or not
      stats.stop();
      return { acceptedEntriesLost: service.stats().lateFailures - lateFailuresBefore };
    })();
    return stopping;
  };
  return { url, fastify, storage, service, metrics, logger, stop };
}
