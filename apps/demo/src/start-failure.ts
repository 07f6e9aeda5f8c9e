// Why the server could not start, as one line for the operator. A taken port or a database that
// cannot be opened is the environment's doing, and its stack trace says nothing the line does not;
// any other error is a bug, whose stack is kept for the log.
import { BatchlogError, isDamagedFile } from "@batchlog/storage";
import type { Config } from "./config.js";

export interface StartFailure {
  /** One line, no stack: what went wrong and, where it helps, what to change. */
  reason: string;
  /** Whether the stack trace belongs in the log (an unexpected error). */
  unexpected: boolean;
}

export function describeStartFailure(error: unknown, config: Pick<Config, "host" | "port">): StartFailure {
  const err = error as NodeJS.ErrnoException;
  const address = `${config.host}:${config.port}`;
  if (err?.syscall === "listen") {
    switch (err.code) {
      case "EADDRINUSE":
        return {
          reason: `${address} is already in use (choose another with BATCHLOG_PORT or --port)`,
          unexpected: false,
        };
      case "EACCES":
        return {
          reason: `no permission to listen on ${address} (ports below 1024 need privileges)`,
          unexpected: false,
        };
      case "EADDRNOTAVAIL":
        return {
          reason: `${config.host} is not an address of this machine (BATCHLOG_HOST, --host)`,
          unexpected: false,
        };
    }
  }
  if (err?.syscall === "getaddrinfo" && (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN")) {
    return {
      reason: `${config.host} does not resolve to an address of this machine (BATCHLOG_HOST, --host; ${err.code})`,
      unexpected: false,
    };
  }
  if (error instanceof BatchlogError) {
    // the one way on without a backup: say it where the operator reads
    const hint = isDamagedFile(error)
      ? " (the file is damaged: --db-recover, or BATCHLOG_DB_RECOVER=true, moves it aside and starts a new one)"
      : "";
    return { reason: firstLine(error.message) + hint, unexpected: false };
  }
  return { reason: firstLine(err?.message ?? String(error)), unexpected: true };
}

function firstLine(text: string): string {
  return text.split("\n")[0] as string;
}
