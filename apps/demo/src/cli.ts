// Command-line flags: one per option of config-options.ts, parsed by commander. `--help` lists
// each with its environment variable and default.
import { Command } from "commander";
import type { CliValues } from "./config.js";
import { OPTIONS } from "./config-options.js";

export function createCommand(): Command {
  const program = new Command("batchlog-demo")
    .description(
      "batchlog demo server: log ingestion (native JSON, Loki push, OTLP/HTTP), search, live tail, metrics.\n\n" +
        "Every option can also be set by its environment variable or in the JSON file named by " +
        "BATCHLOG_CONFIG; flags win over the environment, which wins over the file.",
    )
    .helpOption("-h, --help", "show this help")
    .addHelpText(
      "after",
      "\nSIGINT/SIGTERM/SIGHUP: stop accepting, end live tails, drain the queue, close the database, exit 0.\n" +
        "A second signal more than a second later exits 1 at once, without the drain.\n" +
        "Exit codes: 0 stopped cleanly; 1 cannot start, or shutdown failed, timed out or lost entries answered 202; " +
        "2 invalid configuration.",
    )
    .allowExcessArguments(false);
  for (const option of OPTIONS) {
    const fallback = option.default === undefined ? "unset" : option.secret ? "set" : option.default;
    program.option(option.flag, `${option.description}\n[${option.env}; default: ${fallback}]`);
  }
  return program;
}

/** The prefix of every configuration error line; such errors exit 2. */
export const CONFIG_ERROR = "batchlog: invalid configuration:";

/**
 * Parses argv (without node and the script). `--help` prints and exits 0; a usage error (unknown
 * flag, missing value, extra argument) prints one CONFIG_ERROR line and exits 2, like every
 * other configuration error, instead of commander's exit 1.
 */
export function parseCommandLine(argv: readonly string[]): CliValues {
  const program = createCommand()
    .configureOutput({
      // one line, as every configuration error: commander puts its "(Did you mean …?)" on a second
      outputError: (text, write) =>
        write(
          `${CONFIG_ERROR} ${text
            .replace(/^error: /, "")
            .trim()
            .replace(/\s*\n\s*/g, " ")}\n`,
        ),
    })
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  program.parse([...argv], { from: "user" });
  const opts = program.opts<Record<string, string | true | undefined>>();
  const values: CliValues = {};
  for (const option of OPTIONS) {
    const value = opts[option.key];
    // a switch given alone (`--db-recover`) is on, as `--db-recover true` says
    if (value !== undefined) values[option.key] = value === true ? "true" : value;
  }
  return values;
}
