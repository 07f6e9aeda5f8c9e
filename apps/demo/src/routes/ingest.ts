// Ingest routes: native JSON/NDJSON, Loki push, OTLP/HTTP logs. Bodies arrive as raw Buffers
// (any content type, any encoding) and the service decodes them: Loki protobuf is snappy-compressed
// without a Content-Encoding header, and OTLP may come gzip'd and chunked without Content-Length.
import {
  decodeBody,
  encodeOtlpResponse as encodeOtlp,
  encodeOtlpFailure,
  entriesRefusedBy,
  type IngestResult,
  type LogService,
  otlpErrorEncoding,
} from "@batchlog/service";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { FairTurns } from "../fair-turns.js";
import { sendError } from "../http-errors.js";
import type { Metrics } from "../metrics.js";

export interface IngestRouteOptions {
  service: LogService;
  metrics: Metrics | undefined;
  /** Largest body, compressed (as received) and decompressed. */
  bodyLimitBytes: number;
}

export async function ingestRoutes(
  app: FastifyInstance,
  { service, metrics, bodyLimitBytes }: IngestRouteOptions,
) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: bodyLimitBytes }, (_request, body, done) =>
    done(null, body),
  );

  const turns = new FairTurns();
  // `waited`: the answer came after the commit of what it stored (not ?wait=false), so its
  // time is receipt-to-commit, whatever the status (a 400 that stored the good items included)
  const observe = (route: string, reply: FastifyReply, result: IngestResult, waited = true) =>
    metrics?.observeIngest(
      route,
      reply.statusCode,
      reply.elapsedTime / 1000,
      result.ids.length,
      result.errors.map((e) => e.code ?? ""),
      waited && result.accepted > 0,
    );
  /**
   * A request the storage refused whole (429, 503) is thrown, not answered item by item: count its
   * entries here, or an outage that loses every request never shows in the refused entries.
   */
  const countRefused =
    (route: string) =>
    (error: unknown): never => {
      const entries = entriesRefusedBy(error);
      if (entries !== undefined)
        metrics?.observeIngestRefused(route, (error as { code?: string }).code, entries);
      throw error;
    };

  app.post("/api/logs", async (request, reply) => {
    const wait = parseWait(request);
    if (wait === "invalid")
      return sendError(reply, 400, "BATCHLOG_BAD_REQUEST", "wait: must be true or false");
    await turns.next();
    // ingestNative takes no Content-Encoding: undo it here, with the same decompressed-size limit.
    const body = await decodeBody(bodyOf(request), {
      contentEncoding: header(request, "content-encoding"),
      maxBytes: bodyLimitBytes,
    });
    const result = await service
      .ingestNative(body, header(request, "content-type"), { wait })
      .catch(countRefused("/api/logs"));
    const failure = failureStatus(result);
    if (failure === undefined) {
      if (wait) reply.code(201).send({ ids: result.ids });
      else reply.code(202).send({ accepted: result.accepted });
    } else {
      setRetryAfter(reply, failure.retryAfterSeconds);
      // The per-item answer also carries the {error, code} every error answer has, for clients and
      // proxies that log only those.
      const total = wait ? result.ids.length : result.accepted + result.errors.length;
      reply.code(failure.status).send({
        error: `${result.errors.length} of ${total} entries not stored (see errors)`,
        code: failure.status === 400 ? "BATCHLOG_VALIDATION" : (result.errors[0]?.code ?? "BATCHLOG_RETRY"),
        ...(wait ? { ids: result.ids } : { accepted: result.accepted }),
        errors: result.errors,
      });
    }
    observe("/api/logs", reply, result, wait);
    return reply;
  });

  app.post("/loki/api/v1/push", async (request, reply) => {
    await turns.next();
    const result = await service
      .ingestLoki(bodyOf(request), adapterRequest(request))
      .catch(countRefused("/loki/api/v1/push"));
    const failure = failureStatus(result);
    if (failure === undefined) reply.code(204).send();
    else {
      setRetryAfter(reply, failure.retryAfterSeconds);
      reply.code(failure.status).send({
        error: `${result.errors.length} of ${result.ids.length} entries rejected`,
        code: failure.status === 400 ? "BATCHLOG_VALIDATION" : "BATCHLOG_RETRY",
        errors: result.errors,
      });
    }
    observe("/loki/api/v1/push", reply, result);
    return reply;
  });

  app.post("/v1/logs", { onSend: otlpFailureBody }, async (request, reply) => {
    await turns.next();
    const result = await service
      .ingestOtlp(bodyOf(request), adapterRequest(request))
      .catch(countRefused("/v1/logs"));
    const failure = failureStatus(result);
    // OTLP reports invalid records as a partial success (200); only retryable failures are not.
    if (failure === undefined || failure.status === 400) {
      const { body, contentType } = encodeOtlp(result.partialSuccess, result.encoding);
      reply.code(200).type(contentType).send(body);
    } else {
      setRetryAfter(reply, failure.retryAfterSeconds);
      sendError(
        reply,
        failure.status,
        "BATCHLOG_RETRY",
        `${result.errors.length} log records not stored; retry later`,
      );
    }
    observe("/v1/logs", reply, result);
    return reply;
  });
}

const ErrorBody = z.object({ error: z.string(), code: z.string() });

/**
 * Every 4xx/5xx answer of the OTLP route (token, body limit, bad data, backpressure, storage
 * down) leaves as the google.rpc.Status the OTLP spec requires, in the request's encoding, instead
 * of the `{error, code}` JSON that every other route answers with and OTLP clients cannot read.
 */
async function otlpFailureBody(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  if (reply.statusCode < 400 || typeof payload !== "string") return payload;
  let parsed: z.infer<typeof ErrorBody>;
  try {
    parsed = ErrorBody.parse(JSON.parse(payload));
  } catch {
    return payload;
  }
  const { body, contentType } = encodeOtlpFailure(
    { statusCode: reply.statusCode, message: parsed.error, reason: parsed.code },
    otlpErrorEncoding(header(request, "content-type")),
  );
  reply.type(contentType);
  return body;
}

/**
 * undefined when every item was stored; 429/503 when every refused item may succeed on a retry
 * (queue full, storage unavailable), so that shippers retry; 400 otherwise (good items are stored).
 */
function failureStatus(result: IngestResult): { status: number; retryAfterSeconds?: number } | undefined {
  if (result.errors.length === 0) return undefined;
  const retryAfterSeconds =
    result.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  if (result.errors.every((e) => e.retryable === true)) {
    return retryAfterSeconds === undefined
      ? { status: 503, retryAfterSeconds: 5 }
      : { status: 429, retryAfterSeconds };
  }
  return retryAfterSeconds === undefined ? { status: 400 } : { status: 400, retryAfterSeconds };
}

function setRetryAfter(reply: FastifyReply, seconds: number | undefined) {
  if (seconds !== undefined) reply.header("retry-after", String(seconds));
}

function parseWait(request: FastifyRequest): boolean | "invalid" {
  const value = (request.query as Record<string, unknown>).wait;
  if (value === undefined || value === "" || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  return "invalid";
}

function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function adapterRequest(request: FastifyRequest) {
  return {
    contentType: header(request, "content-type"),
    contentEncoding: header(request, "content-encoding"),
  };
}
