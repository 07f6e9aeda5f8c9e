import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { DriverErrorInfo } from "../classify-error.js";
import type { BatchWriter, DeleteScope, RowToWrite, WriteResult } from "./batch-writer.js";
import type { WorkerInit, WorkerReady, WorkerRequest, WorkerResponse } from "./worker-protocol.js";

/** A driver failure carried back from the writer thread with its SQLite code. */
export class WriterThreadError extends Error {
  readonly code: string | undefined;
  readonly rawCode: number | undefined;
  constructor(info: DriverErrorInfo) {
    super(info.message);
    this.code = info.code;
    this.rawCode = info.rawCode;
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, "seq"> : never) : never;

/**
 * Runs SqliteBatchWriter in a worker thread: a commit (and its fsync) never stalls the event
 * loop, and the main thread assembles the next batch while this one commits. If the thread dies,
 * the requests it held fail as transient (the queue retries them) and the next request starts a
 * new thread on the same file: SQLite rolls back whatever the dead one had not committed.
 */
export interface WriterThreadOptions {
  /**
   * The thread's old-generation heap limit. Far above what it holds (one batch), but below 2 GiB,
   * where V8 lets a heap grow to 4× its live size between full collections instead of ~1.4×.
   */
  heapLimitMb: number;
}

export class WorkerBatchWriter implements BatchWriter {
  readonly #init: WorkerInit;
  readonly #threadOptions: WriterThreadOptions;
  readonly #pending = new Map<number, Pending>();
  #worker: Promise<Worker> | null;
  #thread: Worker | null = null;
  #seq = 0;
  #closed = false;
  #restarts = 0;

  private constructor(init: WorkerInit, options: WriterThreadOptions, worker: Worker) {
    this.#init = init;
    this.#threadOptions = options;
    this.#worker = Promise.resolve(this.#attach(worker));
  }

  static async start(init: WorkerInit, options: WriterThreadOptions): Promise<WorkerBatchWriter> {
    return new WorkerBatchWriter(init, options, await startThread(init, options));
  }

  /** Threads started after the first one died. */
  get restarts(): number {
    return this.#restarts;
  }

  write(rows: readonly RowToWrite[]): Promise<WriteResult> {
    // Strings cross the thread boundary (copied), no per-field objects; the worker joins them.
    return this.#request({ op: "write", rows: rows.map((row) => row.json) }) as Promise<WriteResult>;
  }

  deleteChunk(scope: DeleteScope, chunkSize: number): Promise<number> {
    return this.#request({ op: "deleteChunk", scope, chunkSize }) as Promise<number>;
  }

  async checkpoint(mode: "PASSIVE" | "TRUNCATE"): Promise<void> {
    await this.#request({ op: "checkpoint", mode });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const worker = await this.#worker?.catch(() => null);
    try {
      if (worker) await this.#request({ op: "close" });
    } finally {
      this.#closed = true;
      await worker?.terminate();
    }
  }

  /** Stops the thread abruptly, as a crash would (tests use it to prove the restart). */
  async kill(): Promise<void> {
    const worker = await this.#worker?.catch(() => null);
    await worker?.terminate();
  }

  #attach(worker: Worker): Worker {
    worker.on("message", (message: WorkerResponse) => {
      const pending = this.#pending.get(message.seq);
      if (pending === undefined) return;
      this.#pending.delete(message.seq);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(new WriterThreadError(message.error));
    });
    this.#thread = worker;
    const died = (error: Error) => {
      // only the current thread's death matters (a replaced one may exit late)
      if (this.#thread !== worker || this.#closed) return;
      this.#thread = null;
      this.#worker = null;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    worker.on("error", (error) => died(Object.assign(error, { code: "CLIENT_CLOSED" })));
    worker.on("exit", () =>
      died(Object.assign(new Error("writer thread exited"), { code: "CLIENT_CLOSED" })),
    );
    return worker;
  }

  async #request(body: RequestBody): Promise<unknown> {
    if (this.#closed) throw Object.assign(new Error("writer closed"), { code: "CLIENT_CLOSED" });
    if (this.#worker === null) {
      this.#restarts++;
      this.#worker = startThread(this.#init, this.#threadOptions).then((worker) => this.#attach(worker));
      // a failed start is retried by the next request
      this.#worker.catch(() => {
        this.#worker = null;
      });
    }
    const worker = await this.#worker;
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      worker.postMessage({ ...body, seq });
    });
  }
}

async function startThread(init: WorkerInit, options: WriterThreadOptions): Promise<Worker> {
  const worker = spawnWriterThread(init, options);
  const ready = await new Promise<WorkerReady>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  if (!ready.ready) {
    await worker.terminate();
    throw new WriterThreadError(ready.error);
  }
  return worker;
}

function spawnWriterThread(init: WorkerInit, options: WriterThreadOptions): Worker {
  // A small young generation: the thread only ever holds one batch's strings, which die at its
  // commit; V8's default (up to 48 MB committed) cost ~30 MB of RSS under load for nothing.
  const resourceLimits = { maxOldGenerationSizeMb: options.heapLimitMb, maxYoungGenerationSizeMb: 4 };
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = new URL(fromSource ? "./writer-worker.ts" : "./writer-worker.js", import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData: init, resourceLimits });
  // Running from TypeScript sources (tests, tsx): let the worker load .ts through tsx.
  const tsx = tsxEsmApiUrl();
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init, resourceLimits });
}

/** tsx's ESM register API (its `import` export; require.resolve would give the CommonJS build). */
function tsxEsmApiUrl(): string {
  const manifest = createRequire(import.meta.url).resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const entry = pkg.exports["./esm/api"]?.import.default ?? "./dist/esm/api/index.mjs";
  return pathToFileURL(join(dirname(manifest), entry)).href;
}
