import type { OtlpPartialSuccess } from "./log-service.js";
import { encodeOtlpLogsResponse } from "./otlp-proto.js";

/**
 * The body of a 200 answer to an OTLP/HTTP logs export, in the request's encoding (the OTLP spec
 * requires the same one): JSON `{"partialSuccess":{…}}`, or a protobuf ExportLogsServiceResponse.
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
  return { body: Buffer.from(JSON.stringify({ partialSuccess })), contentType: "application/json" };
}
