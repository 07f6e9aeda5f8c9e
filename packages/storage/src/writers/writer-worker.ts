// Entry point of the writer thread: owns the one write connection and answers requests in order.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { workerData } from "node:worker_threads";
import { serveThread } from "../threads/serve-thread.js";
import { SqliteBatchWriter } from "./sqlite-batch-writer.js";
import type { WorkerInit, WorkerRequest } from "./worker-protocol.js";

serveThread(
  () => new SqliteBatchWriter(workerData as WorkerInit),
  (writer, message) => {
    const request = message as unknown as WorkerRequest;
    switch (request.op) {
      case "write": {
        const result = writer.write(request.batch, request.count, request.lostAfter);
        const marker = (workerData as WorkerInit).exitAfterCommitMarker;
        if (result.ok && marker !== undefined && existsSync(marker)) {
          const left = Number(readFileSync(marker, "utf8") || "1");
          if (left > 1) writeFileSync(marker, String(left - 1));
          else {
            rmSync(marker);
            process.exit(1);
          }
        }
        return result;
      }
      case "sequence":
        return writer.sequence();
      case "deleteChunk":
        return writer.deleteChunk(request.scope, request.chunkSize);
      case "releaseFreePages":
        return writer.releaseFreePages(request.maxPages);
      case "mergeFullText":
        return writer.mergeFullText(request.pages, request.begin);
      case "checkpoint":
        writer.checkpoint(request.mode);
        return null;
      case "close":
        writer.close();
        return null;
    }
  },
);
