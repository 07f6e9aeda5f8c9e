// Entry point of the reader thread: its own connection, so that a slow query never blocks the
// event loop that acknowledges commits and serves HTTP.
import { workerData } from "node:worker_threads";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { LogReader } from "../log-reader.js";
import * as schema from "../schema.js";
import { serveThread } from "../threads/serve-thread.js";
import type { ReaderInit, ReaderRequest } from "./reader-protocol.js";

const init = workerData as ReaderInit;

serveThread(
  async () => {
    const client = createClient({ url: `file:${init.path}`, timeout: init.busyTimeoutMs, concurrency: 1 });
    for (const pragma of init.pragmas) await client.execute(pragma);
    return { client, reader: new LogReader(drizzle(client, { schema }), () => init.fullText) };
  },
  ({ client, reader }, message) => {
    const request = message as unknown as ReaderRequest;
    switch (request.op) {
      case "search":
        return reader.search(request.query);
      case "getRecent":
        return reader.getRecent(request.limit);
      case "countByBucket":
        return reader.countByBucket(request.query);
      case "cutoffIdToKeep":
        return reader.cutoffIdToKeep(request.keep);
      case "close":
        client.close();
        return null;
    }
  },
);
