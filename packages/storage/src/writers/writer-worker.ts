// Entry point of the writer thread: owns the one write connection and answers requests in order.
import { parentPort, workerData } from "node:worker_threads";
import { toDriverErrorInfo } from "../classify-error.js";
import type { WriteResult } from "./batch-writer.js";
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

function handle(request: WorkerRequest): WriteResult | number | null {
  switch (request.op) {
    case "write":
      return writer.write(request.rows);
    case "deleteChunk":
      return writer.deleteChunk(request.scope, request.chunkSize);
    case "checkpoint":
      writer.checkpoint(request.mode);
      return null;
    case "close":
      writer.close();
      return null;
  }
}

port.on("message", (request: WorkerRequest) => {
  let response: WorkerResponse;
  try {
    response = { seq: request.seq, ok: true, value: handle(request) };
  } catch (error) {
    response = { seq: request.seq, ok: false, error: toDriverErrorInfo(error) };
  }
  port.postMessage(response);
  if (request.op === "close") port.close();
});
