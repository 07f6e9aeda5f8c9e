import { parentPort } from "node:worker_threads";
import {
  type ThreadReady,
  type ThreadRequest,
  type ThreadResponse,
  toThreadErrorInfo,
} from "./thread-protocol.js";

/**
 * The thread side of ThreadClient: opens what `open` returns (posting ready, or the error and
 * exiting), then answers each request in order with `handle`. The request whose op is
 * `closeOp` closes the port after its answer.
 */
export function serveThread<T>(
  open: () => T,
  handle: (state: T, request: ThreadRequest) => unknown,
  closeOp = "close",
): void {
  const port = parentPort;
  if (port === null) throw new Error("must run in a worker thread");
  let state: T;
  try {
    state = open();
    port.postMessage({ ready: true } satisfies ThreadReady);
  } catch (error) {
    port.postMessage({ ready: false, error: toThreadErrorInfo(error) } satisfies ThreadReady);
    process.exit(0);
  }
  // One request at a time, in arrival order, even when handle() is async.
  let chain: Promise<void> = Promise.resolve();
  port.on("message", (request: ThreadRequest) => {
    chain = chain.then(async () => {
      let response: ThreadResponse;
      try {
        response = { seq: request.seq, ok: true, value: await handle(state, request) };
      } catch (error) {
        response = { seq: request.seq, ok: false, error: toThreadErrorInfo(error) };
      }
      port.postMessage(response);
      if (request.op === closeOp) port.close();
    });
  });
}
