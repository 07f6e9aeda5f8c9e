import type { ChildProcess } from "node:child_process";
import { ValidationError } from "../errors.js";
import { spawnProcess, threadEntry } from "../threads/spawn-thread.js";
import type { ThreadErrorInfo, ThreadReady, ThreadResponse } from "../threads/thread-protocol.js";
import type { ReaderInit, ReaderRequest } from "./reader-protocol.js";

/** Pages of at most 1000 entries: a small heap (as the reader thread had). */
const HEAP_LIMIT_MB = 256;

/**
 * One reader process, asked one request at a time (ProcessLogReader keeps the queue, so that the
 * request a process runs is the only one lost when it is killed). Errors the process reports go
 * through `toError`; its death rejects the running request with code CLIENT_CLOSED.
 */
export class ReaderProcess {
  readonly #child: ChildProcess;
  readonly #toError: (info: ThreadErrorInfo) => Error;
  #running: { seq: number; resolve(value: unknown): void; reject(error: Error): void } | null = null;
  #seq = 0;
  #exited = false;
  readonly exited: Promise<void>;

  private constructor(child: ChildProcess, toError: (info: ThreadErrorInfo) => Error) {
    this.#child = child;
    this.#toError = toError;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.on("message", (message: ThreadResponse) => {
      const running = this.#running;
      if (running === null || message.seq !== running.seq) return;
      this.#running = null;
      if (message.ok) running.resolve(message.value);
      else running.reject(this.#toError(message.error));
    });
    child.once("exit", (code, signal) => {
      this.#exited = true;
      this.#running?.reject(closedError(`reader process exited (${signal ?? `code ${code}`})`));
      this.#running = null;
    });
    // an IPC write to a process that just died: its exit rejects the request
    child.on("error", () => {});
  }

  /** Starts a process and waits until its connection is open (an error opening it is thrown). */
  static async start(init: ReaderInit, toError: (info: ThreadErrorInfo) => Error): Promise<ReaderProcess> {
    const entry = threadEntry(import.meta.url, "./reader-process-entry");
    const child = spawnProcess(entry, [JSON.stringify(init)], HEAP_LIMIT_MB);
    const ready = await new Promise<ThreadReady | null>((resolve, reject) => {
      child.once("message", resolve);
      child.once("error", reject);
      child.once("exit", () => resolve(null));
    });
    if (ready === null) throw closedError("reader process exited before it was ready");
    if (!ready.ready) {
      child.kill("SIGKILL");
      throw toError(ready.error);
    }
    return new ReaderProcess(child, toError);
  }

  get alive(): boolean {
    return !this.#exited;
  }

  request(request: ReaderRequest): Promise<unknown> {
    if (this.#running !== null)
      return Promise.reject(new Error("a reader process runs one request at a time"));
    if (this.#exited) return Promise.reject(closedError("reader process exited"));
    return new Promise((resolve, reject) => {
      const seq = ++this.#seq;
      this.#running = { seq, resolve, reject };
      try {
        this.#child.send({ ...request, seq });
      } catch (error) {
        // Nothing was written to the channel (a message is serialized whole first): the process
        // waits for a request still, so the slot must not stay taken by one it never received.
        this.#running = null;
        reject(unsendableError(request, error));
      }
    });
  }

  /**
   * Stops it at once, whatever it runs: the OS releases its connection's locks, so the database
   * and the writer carry on. The running request rejects with `reason`.
   */
  kill(reason: Error): void {
    const running = this.#running;
    this.#running = null;
    running?.reject(reason);
    this.#child.kill("SIGKILL");
  }

  /** Closes its connection (after the running request), then lets it exit. */
  async close(): Promise<void> {
    if (this.#exited) return;
    await this.request({ op: "close" }).catch(() => {});
    if (this.#child.connected) this.#child.disconnect();
    await this.exited;
  }
}

/**
 * `send` throws only while serializing the message: the caller's query holds something the
 * structured clone refuses (a function, a symbol, a getter that throws). The caller's input is at
 * fault, as with any invalid field.
 */
function unsendableError(request: ReaderRequest, error: unknown): ValidationError {
  const field = "query" in request ? "query" : request.op;
  const reason = error instanceof Error ? error.message : String(error);
  return new ValidationError(
    field,
    `cannot be sent to the reader process (${reason}): pass plain data (strings, numbers, booleans, Dates, arrays, objects)`,
    { cause: error },
  );
}

/** The error of a read whose process is gone (code CLIENT_CLOSED, as @libsql/client's own). */
export function closedError(message: string): Error {
  return Object.assign(new Error(message), { code: "CLIENT_CLOSED" });
}
