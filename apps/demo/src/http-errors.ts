// Every error answer is JSON `{ error, code }`. Messages come from errors known to be safe to show
// (HttpError, storage errors, fastify's own 4xx); anything else is a 500 "internal error" and the
// details go to the server log only: driver errors quote query parameters, i.e. log contents.
import { PayloadTooLargeError, toHttpError } from "@batchlog/service";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { LogThrottle } from "./log-throttle.js";

export interface ErrorBody {
  error: string;
  code: string;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  retryAfterSeconds?: number,
) {
  if (retryAfterSeconds !== undefined) reply.header("retry-after", String(retryAfterSeconds));
  return reply
    .code(status)
    .type("application/json; charset=utf-8")
    .send({ error: message, code } satisfies ErrorBody);
}

/** Fastify's own client errors (body too large, bad content type…) and what to call them. */
const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "BATCHLOG_PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "BATCHLOG_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "BATCHLOG_BAD_REQUEST",
  FST_ERR_CTP_EMPTY_JSON_BODY: "BATCHLOG_BAD_REQUEST",
  FST_ERR_CTP_INVALID_JSON_BODY: "BATCHLOG_BAD_REQUEST",
};

/** The app's error handler; each app throttles its own failure warnings. */
export function createErrorHandler(throttle = new LogThrottle()) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
    handleError(error, request, reply, throttle);
}

function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  throttle: LogThrottle,
) {
  const status = error.statusCode;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    // The same answer as a body too large once decompressed, rather than fastify's own wording.
    const tooLarge = new PayloadTooLargeError(request.routeOptions.bodyLimit);
    return sendError(reply, 413, tooLarge.code, tooLarge.message);
  }
  if (
    typeof error.code === "string" &&
    error.code.startsWith("FST_") &&
    status !== undefined &&
    status >= 400 &&
    status < 500
  ) {
    return sendError(reply, status, FASTIFY_CODES[error.code] ?? "BATCHLOG_BAD_REQUEST", error.message);
  }
  // Aborted or malformed request streams surface as errors with a 4xx status from Node's http layer.
  if (status === 400 && (error as { expose?: boolean }).expose === true) {
    return sendError(reply, 400, "BATCHLOG_BAD_REQUEST", "malformed request");
  }
  const mapped = toHttpError(error);
  const route = request.routeOptions.url;
  // A 503 is the storage refusing (closed, down, timed out) and the client retries it, so a
  // warning, throttled per route: while the database is down every request gets one. Any other
  // 5xx is a bug or an unexpected failure: one line each.
  if (mapped.statusCode === 503) {
    const occurrence = throttle.take(`503 ${route}`);
    if (occurrence !== undefined) {
      request.log.warn({ err: error, route, suppressed: occurrence.suppressed }, "storage unavailable");
    }
  } else if (mapped.statusCode === 504) {
    // A query too broad for BATCHLOG_QUERY_TIMEOUT_MS: what was asked is what the operator needs
    // (without a ?token=), not a stack; throttled, as a dashboard may repeat it every few seconds.
    const occurrence = throttle.take(`504 ${route}`);
    if (occurrence !== undefined) {
      const query = searchParamsWithoutToken(request.url);
      request.log.warn({ route, query, suppressed: occurrence.suppressed }, "query timed out");
    }
  } else if (mapped.statusCode >= 500) request.log.error({ err: error, route }, "request failed");
  else request.log.debug({ code: mapped.code, route }, mapped.message);
  // A 503's underlying message can carry driver text: keep it in the log, say something generic.
  const message = mapped.statusCode === 503 ? "storage is unavailable; retry later" : mapped.message;
  return sendError(reply, mapped.statusCode, mapped.code, message, mapped.retryAfterSeconds);
}

function searchParamsWithoutToken(url: string): string {
  const at = url.indexOf("?");
  const params = new URLSearchParams(at === -1 ? "" : url.slice(at + 1));
  params.delete("token");
  return params.toString();
}
