import type { ResourceLimits, Worker } from "node:worker_threads";
import { spawnThread } from "./spawn-thread.js";
import type { ThreadErrorInfo, ThreadReady, ThreadResponse } from "./thread-protocol.js";

export interface ThreadClientOptions {
  entry: URL;
  workerData: unknown;
  resourceLimits: ResourceLimits;
  /** Turns an error the thread reported into the error the caller sees. */
  toError(info: ThreadErrorInfo): Error;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/**
 * Request/response over a worker thread that owns one database connection. If the thread dies,
 * the requests it held fail with code CLIENT_CLOSED (transient: callers may retry) and the next
 * request starts a new thread.
 */
export class ThreadClient {
  readonly #options: ThreadClientOptions;
  readonly #pending = new Map<number, Pending>();
  #worker: Promise<Worker> | null;
  #thread: Worker | null = null;
  #seq = 0;
  #closed = false;
  #restarts = 0;
  #started = false;

  private constructor(options: ThreadClientOptions, worker: Worker | null) {
    this.#options = options;
    this.#started = worker !== null;
    this.#worker = worker === null ? null : Promise.resolve(this.#attach(worker));
  }

  /** Starts the thread now: an error opening it is thrown here. */
  static async start(options: ThreadClientOptions): Promise<ThreadClient> {
    return new ThreadClient(options, await startThread(options));
  }

  /** Starts the thread with the first request (it costs ~15–20 MB of RSS; some users never need it). */
  static lazy(options: ThreadClientOptions): ThreadClient {
    return new ThreadClient(options, null);
  }

  /** Threads started after the first one died. */
  get restarts(): number {
    return this.#restarts;
  }

  request(body: { op: string } & Record<string, unknown>): Promise<unknown> {
    if (this.#closed) return Promise.reject(closedError("thread closed"));
    if (this.#worker === null) {
      if (this.#started) this.#restarts++;
      this.#started = true;
      this.#worker = startThread(this.#options).then((worker) => this.#attach(worker));
      // a failed start is retried by the next request
      this.#worker.catch(() => {
        this.#worker = null;
      });
    }
    return this.#worker.then(
      (worker) =>
        new Promise((resolve, reject) => {
          const seq = ++this.#seq;
          this.#pending.set(seq, { resolve, reject });
          worker.postMessage({ ...body, seq });
        }),
    );
  }

  /** Sends `closeRequest` (so the thread closes its connection), then ends the thread. */
  async close(closeRequest: { op: string }): Promise<void> {
    if (this.#closed) return;
    if (this.#worker === null) {
      this.#closed = true;
      return;
    }
    const worker = await this.#worker.catch(() => null);
    try {
      if (worker) await this.request(closeRequest);
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
    worker.on("message", (message: ThreadResponse) => {
      const pending = this.#pending.get(message.seq);
      if (pending === undefined) return;
      this.#pending.delete(message.seq);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(this.#options.toError(message.error));
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
    worker.on("exit", () => died(closedError("thread exited")));
    return worker;
  }
}

async function startThread(options: ThreadClientOptions): Promise<Worker> {
  const worker = spawnThread(options.entry, options.workerData, options.resourceLimits);
  const ready = await new Promise<ThreadReady>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  if (!ready.ready) {
    await worker.terminate();
    throw options.toError(ready.error);
  }
  return worker;
}

function closedError(message: string): Error {
  return Object.assign(new Error(message), { code: "CLIENT_CLOSED" });
}
