// Entry point of the writer thread: owns the one write connection and answers requests in order.
import { workerData } from "node:worker_threads";
import { serveThread } from "../threads/serve-thread.js";
import { SqliteBatchWriter } from "./sqlite-batch-writer.js";
import type { WorkerInit, WorkerRequest } from "./worker-protocol.js";

serveThread(
  () => new SqliteBatchWriter(workerData as WorkerInit),
  (writer, message) => {
    const request = message as unknown as WorkerRequest;
    switch (request.op) {
      case "write":
        return writer.write(request.batch, request.count);
      case "deleteChunk":
        return writer.deleteChunk(request.scope, request.chunkSize);
      case "releaseFreePages":
        return writer.releaseFreePages(request.maxPages);
      case "checkpoint":
        writer.checkpoint(request.mode);
        return null;
      case "close":
        writer.close();
        return null;
    }
  },
);
