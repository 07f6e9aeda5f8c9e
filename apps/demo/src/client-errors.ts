// Malformed HTTP (a bad header line, headers over Node's limit, a request that timed out) never
// reaches a route: Node reports it on the socket. Answer it in the same JSON shape as every other
// error, instead of fastify's default `{error, message, statusCode}`, then close the connection.
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ErrorBody } from "./http-errors.js";

/**
 * The status each socket was answered here, for a request a route had already begun (a body
 * that stopped arriving: 408): that request's end is this answer, not its client going away.
 */
const answeredHere = new WeakMap<Socket, number>();

export function statusAnsweredOn(socket: Socket | null | undefined): number | undefined {
  return socket ? answeredHere.get(socket) : undefined;
}

export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection is already gone: nothing to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, answer] = describe(error.code);
  answeredHere.set(socket, status);
  if (socket.writable) {
    const body = JSON.stringify(answer);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function describe(code: string | undefined): [number, ErrorBody] {
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return [408, { error: "the request was not received in time", code: "BATCHLOG_REQUEST_TIMEOUT" }];
  }
  if (code === "HPE_HEADER_OVERFLOW") {
    return [431, { error: "request headers too large", code: "BATCHLOG_HEADERS_TOO_LARGE" }];
  }
  return [400, { error: "malformed HTTP request", code: "BATCHLOG_BAD_REQUEST" }];
}
