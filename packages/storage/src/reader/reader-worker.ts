// Entry point of the reader thread: its own connection, so that a slow query never blocks the
// event loop that acknowledges commits and serves HTTP.
import { workerData } from "node:worker_threads";
import { LogReader } from "../log-reader.js";
import { serveThread } from "../threads/serve-thread.js";
import { openNativeReadDb } from "./native-read-db.js";
import type { ReaderInit, ReaderRequest } from "./reader-protocol.js";

const init = workerData as ReaderInit;

serveThread(
  async () => {
    const connection = openNativeReadDb(init.path, init.pragmas);
    return { connection, reader: new LogReader(connection.db, () => init.fullText) };
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
      case "cutoffToKeep":
        return reader.cutoffToKeep(request.keep);
      case "close":
        connection.close();
        return null;
    }
  },
);
