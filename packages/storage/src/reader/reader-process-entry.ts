// Entry point of a reader process: its own connection, so that a slow query never blocks the
// event loop that acknowledges commits and serves HTTP, and so that a query past queryTimeoutMs
// can be stopped by killing the process. A worker thread cannot be stopped mid-query: terminating
// one while the libsql driver runs a statement aborts the whole server when the statement returns
// (a panic in the driver's bindings, measured), and the driver's interrupt() is only callable
// from the thread that is blocked in that statement.
import { LogReader } from "../log-reader.js";
import { serveThread } from "../threads/serve-thread.js";
import { openNativeReadDb } from "./native-read-db.js";
import type { ReaderInit, ReaderRequest } from "./reader-protocol.js";

const init = JSON.parse(process.argv[2] ?? "{}") as ReaderInit;
const send = process.send?.bind(process);
if (send === undefined) throw new Error("must run as a child process with an IPC channel");

// The server decides when this process ends: a Ctrl-C reaches the whole process group, and the
// server still reads while it drains. Without the server (its channel closed) there is nothing to do.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => {});
process.on("disconnect", () => process.exit(0));

let sent: Promise<void> = Promise.resolve();
serveThread(
  async () => {
    const connection = openNativeReadDb(init.path, init.pragmas);
    return { connection, reader: new LogReader(connection.db, () => init.fullText, init.skippedCountWindow) };
  },
  ({ connection, reader }, message) => {
    const request = message as unknown as ReaderRequest;
    switch (request.op) {
      case "search":
        return reader.search(request.query);
      case "getRecent":
        return reader.getRecent(request.limit);
      case "countByBucket":
        return reader.countByBucket(request.query);
      case "committedAfter":
        return reader.committedAfter(request.query);
      case "context":
        return reader.context(request.query);
      case "cutoffToKeep":
        return reader.cutoffToKeep(request.keep);
      case "footprint":
        return reader.footprint();
      case "close":
        connection.close();
        return null;
    }
  },
  "close",
  {
    postMessage: (value) => {
      sent = new Promise((resolve) => send(value, () => resolve()));
    },
    on: (event, listener) => process.on(event, listener),
    close: () => process.disconnect(),
    drained: () => sent,
  },
);
