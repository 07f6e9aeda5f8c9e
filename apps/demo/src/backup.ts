// `node apps/demo/dist/backup.js <file> [--db-url <url>]`: copies the server's database into a
// new file while the server runs (see backupDatabase in @batchlog/storage). The database is the
// one the server would open: --db-url, else BATCHLOG_DB_URL, else the config file's, else the default.
import { backupDatabase, ConfigError } from "@batchlog/storage";
import { Command } from "commander";
import { CONFIG_ERROR } from "./cli.js";
import { type Config, ConfigValidationError, loadConfig } from "./config.js";

function parse(argv: readonly string[]): { to: string; dbUrl: string | undefined } {
  const program = new Command("batchlog-backup")
    .description(
      "Copy the batchlog database into a new file, consistent while the server writes (SQLite VACUUM INTO).",
    )
    .argument("<file>", "the copy to write; it must not exist")
    .option(
      "--db-url <url>",
      "the database (default: BATCHLOG_DB_URL, the config file's, file:./data/batchlog.db)",
    )
    .helpOption("-h, --help", "show this help")
    .configureOutput({
      outputError: (text, write) => write(`${CONFIG_ERROR} ${text.replace(/^error: /, "")}`),
    })
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  program.parse([...argv], { from: "user" });
  return { to: program.args[0] as string, dbUrl: program.opts<{ dbUrl?: string }>().dbUrl };
}

async function main(): Promise<void> {
  const { to, dbUrl } = parse(process.argv.slice(2));
  let config: Config;
  try {
    config = loadConfig(process.env, dbUrl === undefined ? {} : { dbUrl });
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${CONFIG_ERROR} ${problem}\n`);
    process.exit(2);
  }
  const url = config.storage.url as string; // dbUrl has a default
  try {
    const result = await backupDatabase({
      url,
      to,
      ...(config.storage.busyTimeoutMs !== undefined && { busyTimeoutMs: config.storage.busyTimeoutMs }),
    });
    const mb = (result.bytes / 1024 / 1024).toFixed(1);
    process.stdout.write(
      `batchlog: backup written to ${result.path}: ${result.entries} entries (last id ${result.lastId ?? "none"}), ${mb} MiB, in ${(result.ms / 1000).toFixed(1)} s\n`,
    );
  } catch (error) {
    const usage = error instanceof ConfigError;
    process.stderr.write(`batchlog: backup failed: ${(error as Error).message}\n`);
    process.exit(usage ? 2 : 1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`batchlog: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
