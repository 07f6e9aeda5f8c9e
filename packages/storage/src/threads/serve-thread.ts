import { parentPort } from "node:worker_threads";
import {
  type ThreadReady,
  type ThreadRequest,
  type ThreadResponse,
  toThreadErrorInfo,
} from "./thread-protocol.js";

/** What serveThread talks through: a worker's parentPort, or a child process's IPC channel. */
export interface ServePort {
  postMessage(message: unknown): void;
  on(event: "message", listener: (message: ThreadRequest) => void): unknown;
  close(): void;
  /** Resolves once what was posted has left (a process must not exit with a message unsent). */
  drained?(): Promise<void>;
}

/**
 * The thread side of ThreadClient: opens what `open` returns (posting ready, or the error and
 * exiting), then answers each request in order with `handle`. The request whose op is
 * `closeOp` closes the port after its answer.
 */
export function serveThread<T>(
  open: () => T | Promise<T>,
  handle: (state: T, request: ThreadRequest) => unknown,
  closeOp = "close",
  port: ServePort | null = parentPort,
): void {
  if (port === null) throw new Error("must run in a worker thread");
  // One request at a time, in arrival order, even when open() or handle() is async.
  let chain: Promise<T | undefined> = (async () => {
    try {
      const state = await open();
      port.postMessage({ ready: true } satisfies ThreadReady);
      return state;
    } catch (error) {
      port.postMessage({ ready: false, error: toThreadErrorInfo(error) } satisfies ThreadReady);
      await port.drained?.();
      process.exit(0);
    }
  })();
  port.on("message", (request: ThreadRequest) => {
    chain = chain.then(async (state) => {
      let response: ThreadResponse;
      try {
        response = { seq: request.seq, ok: true, value: await handle(state as T, request) };
      } catch (error) {
        response = { seq: request.seq, ok: false, error: toThreadErrorInfo(error) };
      }
      port.postMessage(response);
      if (request.op === closeOp) port.close();
      return state;
    });
  });
}
