// fastify logs its own "Server listening at …" line on listen (one per interface on 0.0.0.0) and
// has no option to turn it off; the server logs one "batchlog is listening" line of its own with
// the URL, database and auth, so a log pipeline sees exactly one line per start.
import type { FastifyBaseLogger } from "fastify";
import type { Logger } from "pino";

/** What fastify is told to say on listen (listenTextResolver): the line the logger drops. */
export const FASTIFY_LISTEN_TEXT = "fastify listening (dropped: see batchlog is listening)";

/** The logger for fastify: `logger` itself, except that it drops fastify's listening line. */
export function withoutListenLine(logger: Logger): FastifyBaseLogger {
  const quiet = Object.create(logger) as Logger;
  quiet.info = function info(this: Logger, ...args: unknown[]) {
    if (args.length === 1 && args[0] === FASTIFY_LISTEN_TEXT) return;
    (logger.info as (...a: unknown[]) => void).apply(this, args);
  } as Logger["info"];
  return quiet as FastifyBaseLogger;
}
