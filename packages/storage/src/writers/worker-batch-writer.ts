import { toDriverErrorInfo } from "../classify-error.js";
import { joinRows } from "../row-spans.js";
import { threadEntry } from "../threads/spawn-thread.js";
import { ThreadClient } from "../threads/thread-client.js";
import { DriverThreadError } from "../threads/thread-protocol.js";
import { AttemptRows } from "./attempt-rows.js";
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
 * new thread on the same file: SQLite rolls back whatever the dead one had not committed, and a
 * write it had committed without answering is recognised by its retry (see write()).
 */
export class WorkerBatchWriter implements BatchWriter {
  readonly failureMayHaveCommitted = false;
  readonly writesOffThread = true;
  readonly #thread: ThreadClient;
  /** The last id the database handed out, as of the last answered write. */
  #sequence: number;
  /** A write whose thread died before answering: it may have committed (see write()). */
  #lost: { rows: AttemptRows; sequenceBefore: number } | null = null;

  private constructor(thread: ThreadClient, sequence: number) {
    this.#thread = thread;
    this.#sequence = sequence;
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
    return new WorkerBatchWriter(thread, (await thread.request({ op: "sequence" })) as number);
  }

  /** Threads started after the first one died. */
  get restarts(): number {
    return this.#thread.restarts;
  }

  /**
   * If the thread dies with a write in flight, that write may have committed (a death between
   * COMMIT and the answer), so the failure says `mayHaveCommitted` and the queue sends the same
   * rows again; this retry carries the sequence from before the lost write, and the new thread
   * answers with the ids it committed instead of writing them twice (SqliteBatchWriter.write).
   */
  async write(rows: readonly RowToWrite[]): Promise<WriteResult> {
    // A retry of the lost batch sends all of it again, so that the check stands for the same rows.
    const lost = this.#lost?.rows.covers(rows) ? this.#lost : null;
    this.#lost = null;
    const sent = lost?.rows.sources ?? rows;
    const request: RequestBody = {
      op: "write",
      // One byte buffer crosses the thread boundary (copied): no string, no per-row objects.
      batch: joinRows(sent),
      count: sent.length,
      ...(lost !== null && { lostAfter: lost.sequenceBefore }),
    };
    try {
      const result = (await this.#request(request)) as WriteResult;
      if (!result.ok) return result;
      this.#sequence = Math.max(this.#sequence, lastId(result));
      if (lost === null) return result;
      return "ids" in result
        ? { ok: true, ids: lost.rows.pick(rows, result.ids) }
        : { ok: true, outcomes: lost.rows.pick(rows, result.outcomes) };
    } catch (error) {
      // Only a thread that died (or was closed) fails a write request: the writer answers every
      // database error with a result.
      // (indexed only now: the rows of a write that went through are never looked up)
      this.#lost = lost ?? { rows: new AttemptRows(rows), sequenceBefore: this.#sequence };
      return { ok: false, error: toDriverErrorInfo(error), mayHaveCommitted: true };
    }
  }

  deleteChunk(scope: DeleteScope, chunkSize: number): Promise<number> {
    return this.#request({ op: "deleteChunk", scope, chunkSize }) as Promise<number>;
  }

  releaseFreePages(maxPages: number): Promise<number> {
    return this.#request({ op: "releaseFreePages", maxPages }) as Promise<number>;
  }

  mergeFullText(pages: number, begin: boolean): Promise<boolean> {
    return this.#request({ op: "mergeFullText", pages, begin }) as Promise<boolean>;
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

function lastId(result: Extract<WriteResult, { ok: true }>): number {
  if ("ids" in result) return result.ids.at(-1) ?? 0;
  let last = 0;
  for (const outcome of result.outcomes) if (typeof outcome === "number" && outcome > last) last = outcome;
  return last;
}
