import type { DeleteScope } from "./batch-writer.js";
import type { SqliteWriterOptions } from "./sqlite-batch-writer.js";

export type WorkerRequest =
  /** `rows`: each row's JSON text (rowJson). */
  | { seq: number; op: "write"; rows: string[] }
  | { seq: number; op: "deleteChunk"; scope: DeleteScope; chunkSize: number }
  | { seq: number; op: "checkpoint"; mode: "PASSIVE" | "TRUNCATE" }
  | { seq: number; op: "close" };

export type WorkerInit = SqliteWriterOptions;
