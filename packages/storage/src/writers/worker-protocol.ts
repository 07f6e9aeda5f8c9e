import type { DeleteScope } from "./batch-writer.js";
import type { SqliteWriterOptions } from "./sqlite-batch-writer.js";

export type WorkerRequest =
  /** `batch`: the rows as one JSON array in UTF-8 (joinRows), `count` of them. */
  /** `lostAfter`: retrying a write whose thread died; the sequence before that write (see SqliteBatchWriter.write). */
  | { seq: number; op: "write"; batch: Uint8Array; count: number; lostAfter?: number }
  | { seq: number; op: "sequence" }
  | { seq: number; op: "deleteChunk"; scope: DeleteScope; chunkSize: number }
  | { seq: number; op: "releaseFreePages"; maxPages: number }
  | { seq: number; op: "mergeFullText"; pages: number; begin: boolean }
  | { seq: number; op: "checkpoint"; mode: "PASSIVE" | "TRUNCATE" }
  | { seq: number; op: "close" };

export type WorkerInit = SqliteWriterOptions & {
  /**
   * Fault injection for tests: while this file exists, it counts down the writes that commit (its
   * text: how many more, 1 when empty); at the last the thread deletes it and exits before
   * answering — the window where a batch is committed and its answer lost.
   */
  exitAfterCommitMarker?: string;
};
