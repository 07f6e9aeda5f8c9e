import type { OtlpPartialSuccess } from "./log-service.js";
import { isProtobufMediaType, mediaType } from "./media-type.js";
import { ERROR_INFO_TYPE_URL, encodeOtlpLogsResponse, encodeRpcStatus } from "./otlp-proto.js";

/**
 * The body of a 200 answer to an OTLP/HTTP logs export, in the request's encoding (the OTLP spec
 * requires the same one): a protobuf ExportLogsServiceResponse, or its JSON form. When every record
 * was accepted `partial_success` is left unset, as the spec requires (`{}` in JSON); otherwise the
 * JSON form writes `rejectedLogRecords`, an int64, as a decimal string (proto3 JSON mapping).
 */
export function encodeOtlpResponse(
  partialSuccess: OtlpPartialSuccess,
  encoding: "json" | "protobuf",
): { body: Buffer; contentType: string } {
  if (encoding === "protobuf") {
    return {
      body: Buffer.from(encodeOtlpLogsResponse(partialSuccess)),
      contentType: "application/x-protobuf",
    };
  }
  const { rejectedLogRecords, errorMessage } = partialSuccess;
  const response =
    rejectedLogRecords === undefined && errorMessage === undefined
      ? {}
      : {
          partialSuccess: {
            ...(rejectedLogRecords === undefined ? {} : { rejectedLogRecords: String(rejectedLogRecords) }),
            ...(errorMessage === undefined ? {} : { errorMessage }),
          },
        };
  return { body: Buffer.from(JSON.stringify(response)), contentType: "application/json" };
}

/** The encoding of an OTLP error answer: protobuf for a protobuf request, JSON for anything else. */
export function otlpErrorEncoding(contentType: string | undefined): "json" | "protobuf" {
  return isProtobufMediaType(mediaType(contentType)) ? "protobuf" : "json";
}

/**
 * The body of a 4xx/5xx answer to an OTLP/HTTP export: the spec requires a google.rpc.Status in
 * the request's encoding (the collector's exporter logs its message; a JSON `{error, code}` reads
 * as no Status at all). `reason`, the stable BATCHLOG_* code, travels as a google.rpc.ErrorInfo.
 */
export function encodeOtlpFailure(
  failure: { statusCode: number; message: string; reason: string },
  encoding: "json" | "protobuf",
): { body: Buffer; contentType: string } {
  const status = { code: rpcCode(failure.statusCode), message: failure.message };
  if (encoding === "protobuf") {
    return {
      body: Buffer.from(encodeRpcStatus({ ...status, reason: failure.reason, domain: ERROR_DOMAIN })),
      contentType: "application/x-protobuf",
    };
  }
  const details = [{ "@type": ERROR_INFO_TYPE_URL, reason: failure.reason, domain: ERROR_DOMAIN }];
  return { body: Buffer.from(JSON.stringify({ ...status, details })), contentType: "application/json" };
}

const ERROR_DOMAIN = "batchlog";

/**
 * The google.rpc.Code matching an HTTP status. OTLP clients decide on the HTTP status alone
 * (429, 502, 503, 504 are retried) and only log this code.
 */
function rpcCode(statusCode: number): number {
  switch (statusCode) {
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    case 504:
      return 4; // DEADLINE_EXCEEDED
    default:
      return statusCode >= 500 ? 13 /* INTERNAL */ : 3 /* INVALID_ARGUMENT */;
  }
}
