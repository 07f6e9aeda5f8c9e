// Entry point of the writer thread: owns the one write connection and answers requests in order.
import { parentPort, workerData } from "node:worker_threads";
import { toDriverErrorInfo } from "../classify-error.js";
import { SqliteBatchWriter } from "./sqlite-batch-writer.js";
import type { WorkerInit, WorkerReady, WorkerRequest, WorkerResponse } from "./worker-protocol.js";

const port = parentPort;
if (port === null) throw new Error("writer-worker must run in a worker thread");

let writer: SqliteBatchWriter;
try {
  writer = new SqliteBatchWriter(workerData as WorkerInit);
  port.postMessage({ ready: true } satisfies WorkerReady);
} catch (error) {
  port.postMessage({ ready: false, error: toDriverErrorInfo(error) } satisfies WorkerReady);
  process.exit(0);
}

port.on("message", (request: WorkerRequest) => {
  let response: WorkerResponse;
  try {
    const value =
      request.op === "write"
        ? writer.write(request.rows)
        : request.op === "deleteChunk"
          ? writer.deleteChunk(request.scope, request.chunkSize)
          : request.op === "checkpoint"
            ? (writer.checkpoint(request.mode), null)
            : (writer.close(), null);
    response = { seq: request.seq, ok: true, value };
  } catch (error) {
    response = { seq: request.seq, ok: false, error: toDriverErrorInfo(error) };
  }
  port.postMessage(response);
  if (request.op === "close") port.close();
});
