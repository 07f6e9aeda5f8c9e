import { joinRows } from "../row-spans.js";
import type { BatchWriter, DeleteScope, RowToWrite, WriteResult } from "./batch-writer.js";
import { SqliteBatchWriter, type SqliteWriterOptions } from "./sqlite-batch-writer.js";

/** SqliteBatchWriter on the calling thread (`writerThread: false`): each commit blocks the event loop. */
export class InProcessBatchWriter implements BatchWriter {
  readonly failureMayHaveCommitted = false;
  readonly writesOffThread = false;
  readonly #writer: SqliteBatchWriter;

  constructor(options: SqliteWriterOptions) {
    this.#writer = new SqliteBatchWriter(options);
  }

  async write(rows: readonly RowToWrite[]): Promise<WriteResult> {
    return this.#writer.write(joinRows(rows), rows.length);
  }

  async deleteChunk(scope: DeleteScope, chunkSize: number): Promise<number> {
    return this.#writer.deleteChunk(scope, chunkSize);
  }

  async releaseFreePages(maxPages: number): Promise<number> {
    return this.#writer.releaseFreePages(maxPages);
  }

  async mergeFullText(pages: number, begin: boolean): Promise<boolean> {
    return this.#writer.mergeFullText(pages, begin);
  }

  async checkpoint(mode: "PASSIVE" | "TRUNCATE"): Promise<void> {
    this.#writer.checkpoint(mode);
  }

  async close(): Promise<void> {
    this.#writer.close();
  }
}
