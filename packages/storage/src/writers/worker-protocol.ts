import type { DriverErrorInfo } from "../classify-error.js";
import type { DeleteScope, WriteResult } from "./batch-writer.js";
import type { SqliteWriterOptions } from "./sqlite-batch-writer.js";

export type WorkerRequest =
  /** `rows`: each row's JSON text (rowJson). */
  | { seq: number; op: "write"; rows: string[] }
  | { seq: number; op: "deleteChunk"; scope: DeleteScope; chunkSize: number }
  | { seq: number; op: "checkpoint"; mode: "PASSIVE" | "TRUNCATE" }
  | { seq: number; op: "close" };

export type WorkerResponse =
  | { seq: number; ok: true; value: WriteResult | number | null }
  | { seq: number; ok: false; error: DriverErrorInfo };

export type WorkerInit = SqliteWriterOptions;

/** Posted once when the connection is open (or could not be opened). */
export type WorkerReady = { ready: true } | { ready: false; error: DriverErrorInfo };
