import type { DeleteScope } from "./batch-writer.js";
import type { SqliteWriterOptions } from "./sqlite-batch-writer.js";

export type WorkerRequest =
  /** `batch`: the rows as one JSON array in UTF-8 (joinRows), `count` of them. */
  | { seq: number; op: "write"; batch: Uint8Array; count: number }
  | { seq: number; op: "deleteChunk"; scope: DeleteScope; chunkSize: number }
  | { seq: number; op: "releaseFreePages"; maxPages: number }
  | { seq: number; op: "checkpoint"; mode: "PASSIVE" | "TRUNCATE" }
  | { seq: number; op: "close" };

export type WorkerInit = SqliteWriterOptions;
