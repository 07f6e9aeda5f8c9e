// `node apps/demo/dist/main.js [--generate 200] [--help]`: load and validate the config, open the
// storage, serve, and on SIGINT/SIGTERM/SIGHUP stop accepting, end live tails, drain the queue, exit 0
// (1 if entries answered 202 could not be stored by the drain).
import { CONFIG_ERROR, parseCommandLine } from "./cli.js";
import {
  type Config,
  ConfigValidationError,
  exposureWarnings,
  loadConfig,
  unknownVariables,
  unusedOptionWarnings,
} from "./config.js";
import { createLogger, type RunningServer, startServer } from "./server.js";
import { describeStartFailure } from "./start-failure.js";

/** A signal this soon after the first one is a duplicate delivery; a later one forces the exit. */
const DUPLICATE_SIGNAL_MS = 1000;

async function main(): Promise<void> {
  const cli = parseCommandLine(process.argv.slice(2));
  let config: Config;
  try {
    config = loadConfig(process.env, cli);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${CONFIG_ERROR} ${problem}\n`);
    process.exit(2);
  }
  const logger = createLogger(config);
  for (const unknown of unknownVariables(process.env)) {
    logger.warn(unknown, "unknown BATCHLOG_ environment variable ignored");
  }
  for (const warning of [...exposureWarnings(process.env, config), ...unusedOptionWarnings(config)])
    logger.warn(warning);
  let server: RunningServer;
  try {
    server = await startServer(config, { logger });
  } catch (error) {
    const failure = describeStartFailure(error, config);
    logger.fatal(failure.unexpected ? { err: error } : { reason: failure.reason }, "cannot start");
    process.stderr.write(`batchlog: cannot start: ${failure.reason}\n`);
    process.exit(1);
  }
  // Plain-text lines only for a person at a terminal: anywhere else stdout is the NDJSON stream a
  // log shipper parses, and the pino lines already say the same.
  const atTerminal = process.stdout.isTTY === true;
  if (atTerminal) {
    process.stdout.write(`\nbatchlog is running: open ${server.url}/ in a browser (Ctrl-C to stop)\n\n`);
  }

  let signalledAt: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalledAt !== undefined) {
      // The same request delivered twice, not an operator insisting: timeout(1) and some
      // supervisors signal both the process and its group.
      if (performance.now() - signalledAt < DUPLICATE_SIGNAL_MS) return;
      logger.warn({ signal }, "second signal: exiting without waiting for the drain");
      process.exit(1);
    }
    signalledAt = performance.now();
    logger.info({ signal }, "shutting down: draining the queue");
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, "shutdown timed out");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    server.stop().then(
      ({ acceptedEntriesLost }) => {
        if (acceptedEntriesLost > 0) {
          // Not "stopped cleanly": entries a client was told were accepted are gone.
          logger.error(
            { entries: acceptedEntriesLost },
            "shutdown lost entries answered 202 (?wait=false): their commit failed during the drain",
          );
          if (atTerminal) {
            process.stdout.write(
              `batchlog: stopped, but ${acceptedEntriesLost} entries answered 202 (?wait=false) were not stored\n`,
            );
          }
          process.exit(1);
        }
        logger.info("stopped cleanly");
        if (atTerminal) process.stdout.write("batchlog: stopped cleanly (queue drained, database closed)\n");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  // A closed terminal or SSH session: Node's default is to exit at once, losing what the queue
  // holds (entries answered 202). There is no configuration to reload, so it drains and stops too.
  process.on("SIGHUP", shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`batchlog: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
