import { joinRows } from "../row-spans.js";
import { threadEntry } from "../threads/spawn-thread.js";
import { ThreadClient } from "../threads/thread-client.js";
import { DriverThreadError } from "../threads/thread-protocol.js";
import type { BatchWriter, DeleteScope, RowToWrite, WriteResult } from "./batch-writer.js";
import type { WorkerInit, WorkerRequest } from "./worker-protocol.js";

export interface WriterThreadOptions {
  /**
   * The thread's old-generation heap limit. Far above what it holds (one batch), but below 2 GiB,
   * where V8 lets a heap grow to 4× its live size between full collections instead of ~1.4×.
   */
  heapLimitMb: number;
}

type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, "seq"> : never) : never;

/**
 * Runs SqliteBatchWriter in a worker thread: a commit (and its fsync) never stalls the event
 * loop, and the main thread assembles the next batch while this one commits. If the thread dies,
 * the requests it held fail as transient (the queue retries them) and the next request starts a
 * new thread on the same file: SQLite rolls back whatever the dead one had not committed.
 */
export class WorkerBatchWriter implements BatchWriter {
  readonly failureMayHaveCommitted = false;
  readonly writesOffThread = true;
  readonly #thread: ThreadClient;

  private constructor(thread: ThreadClient) {
    this.#thread = thread;
  }

  static async start(init: WorkerInit, options: WriterThreadOptions): Promise<WorkerBatchWriter> {
    const thread = await ThreadClient.start({
      entry: threadEntry(import.meta.url, "./writer-worker"),
      workerData: init,
      // A small young generation: the thread holds one batch at a time (bytes outside its heap
      // unless a bad row makes it parse them), which dies at its commit; V8's default (up to
      // 48 MB committed) cost ~30 MB of RSS under load for nothing.
      resourceLimits: { maxOldGenerationSizeMb: options.heapLimitMb, maxYoungGenerationSizeMb: 4 },
      toError: (info) => new DriverThreadError(info),
    });
    return new WorkerBatchWriter(thread);
  }

  /** Threads started after the first one died. */
  get restarts(): number {
    return this.#thread.restarts;
  }

  write(rows: readonly RowToWrite[]): Promise<WriteResult> {
    // One byte buffer crosses the thread boundary (copied): no string, no per-row objects.
    return this.#request({ op: "write", batch: joinRows(rows), count: rows.length }) as Promise<WriteResult>;
  }

  deleteChunk(scope: DeleteScope, chunkSize: number): Promise<number> {
    return this.#request({ op: "deleteChunk", scope, chunkSize }) as Promise<number>;
  }

  releaseFreePages(maxPages: number): Promise<number> {
    return this.#request({ op: "releaseFreePages", maxPages }) as Promise<number>;
  }

  async checkpoint(mode: "PASSIVE" | "TRUNCATE"): Promise<void> {
    await this.#request({ op: "checkpoint", mode });
  }

  close(): Promise<void> {
    return this.#thread.close({ op: "close" });
  }

  /** Stops the thread abruptly, as a crash would (tests use it to prove the restart). */
  kill(): Promise<void> {
    return this.#thread.kill();
  }

  #request(body: RequestBody): Promise<unknown> {
    return this.#thread.request(body);
  }
}
