// Child process for the crash tests: ingests at full speed with N producers and prints every
// acknowledged entry as "<id> <message>" once store() has resolved. The parent SIGKILLs it.
// argv: <dbPath> <runId> <json: extra BatchConfigInput, e.g. {"synchronous":"normal"}> [producers]
import { openLogStorage } from "../../src/index.js";

const [dbPath, runId, configJson = "{}", producersArg = "64"] = process.argv.slice(2);
if (dbPath === undefined || runId === undefined)
  throw new Error("usage: crash-child <db> <runId> [config] [producers]");

const storage = await openLogStorage({ url: `file:${dbPath}`, ...JSON.parse(configJson) });
let out: string[] = [];
let flushScheduled = false;
function acknowledge(line: string): void {
  out.push(line);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    const text = `${out.join("\n")}\n`;
    out = [];
    // Pipes are synchronous on Linux: once write() returns, the parent can read the line even
    // if this process is killed the next instant.
    process.stdout.write(text);
  });
}

process.stdout.write("ready\n");
const producers = Number(producersArg);
await Promise.all(
  Array.from({ length: producers }, async (_, p) => {
    for (let n = 0; ; n++) {
      const message = `${runId}-${p}-${n}`;
      try {
        const id = await storage.store({ level: "info", source: "crash-test", message, fields: { p, n } });
        acknowledge(`${id} ${message}`);
      } catch (error) {
        // A rejected entry is not acknowledged; say so on stderr and back off briefly.
        process.stderr.write(`rejected ${message}: ${(error as Error).message}\n`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }),
);
