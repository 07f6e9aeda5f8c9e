import protobuf from "protobufjs";
import { lenientStrings } from "./proto-lenient-strings.js";

const anyValueFields = {
  stringValue: { type: "string", id: 1 },
  boolValue: { type: "bool", id: 2 },
  intValue: { type: "int64", id: 3 },
  doubleValue: { type: "double", id: 4 },
  arrayValue: { type: "ArrayValue", id: 5 },
  kvlistValue: { type: "KeyValueList", id: 6 },
  bytesValue: { type: "bytes", id: 7 },
};

/**
 * The subset of opentelemetry-proto (collector/logs/v1, logs/v1, common/v1, resource/v1) that an
 * OTLP/HTTP logs export carries, as protobufjs reflection with the JSON (lowerCamelCase) names.
 * Field numbers follow the upstream .proto files; SeverityNumber is read as its int32 value.
 */
const root = protobuf.Root.fromJSON(
  lenientStrings({
    nested: {
      otlp: {
        nested: {
          ExportLogsServiceRequest: {
            fields: { resourceLogs: { rule: "repeated", type: "ResourceLogs", id: 1 } },
          },
          ExportLogsServiceResponse: {
            fields: { partialSuccess: { type: "ExportLogsPartialSuccess", id: 1 } },
          },
          ExportLogsPartialSuccess: {
            fields: { rejectedLogRecords: { type: "int64", id: 1 }, errorMessage: { type: "string", id: 2 } },
          },
          ResourceLogs: {
            fields: {
              resource: { type: "Resource", id: 1 },
              scopeLogs: { rule: "repeated", type: "ScopeLogs", id: 2 },
              schemaUrl: { type: "string", id: 3 },
            },
          },
          Resource: {
            fields: {
              attributes: { rule: "repeated", type: "KeyValue", id: 1 },
              droppedAttributesCount: { type: "uint32", id: 2 },
            },
          },
          ScopeLogs: {
            fields: {
              scope: { type: "InstrumentationScope", id: 1 },
              logRecords: { rule: "repeated", type: "LogRecord", id: 2 },
              schemaUrl: { type: "string", id: 3 },
            },
          },
          InstrumentationScope: {
            fields: {
              name: { type: "string", id: 1 },
              version: { type: "string", id: 2 },
              attributes: { rule: "repeated", type: "KeyValue", id: 3 },
              droppedAttributesCount: { type: "uint32", id: 4 },
            },
          },
          LogRecord: {
            fields: {
              timeUnixNano: { type: "fixed64", id: 1 },
              observedTimeUnixNano: { type: "fixed64", id: 11 },
              severityNumber: { type: "int32", id: 2 },
              severityText: { type: "string", id: 3 },
              body: { type: "AnyValue", id: 5 },
              attributes: { rule: "repeated", type: "KeyValue", id: 6 },
              droppedAttributesCount: { type: "uint32", id: 7 },
              flags: { type: "fixed32", id: 8 },
              traceId: { type: "bytes", id: 9 },
              spanId: { type: "bytes", id: 10 },
              eventName: { type: "string", id: 12 },
            },
          },
          AnyValue: {
            oneofs: { value: { oneof: Object.keys(anyValueFields) } },
            fields: anyValueFields,
          },
          ArrayValue: { fields: { values: { rule: "repeated", type: "AnyValue", id: 1 } } },
          KeyValueList: { fields: { values: { rule: "repeated", type: "KeyValue", id: 1 } } },
          KeyValue: { fields: { key: { type: "string", id: 1 }, value: { type: "AnyValue", id: 2 } } },
          // google.rpc.Status, google.protobuf.Any and google.rpc.ErrorInfo: an OTLP failure body.
          Status: {
            fields: {
              code: { type: "int32", id: 1 },
              message: { type: "string", id: 2 },
              details: { rule: "repeated", type: "Any", id: 3 },
            },
          },
          Any: { fields: { typeUrl: { type: "string", id: 1 }, value: { type: "bytes", id: 2 } } },
          ErrorInfo: { fields: { reason: { type: "string", id: 1 }, domain: { type: "string", id: 2 } } },
        },
      },
    },
  }),
);

export const OtlpExportLogsServiceRequest = root.lookupType("otlp.ExportLogsServiceRequest");
export const OtlpExportLogsServiceResponse = root.lookupType("otlp.ExportLogsServiceResponse");
export const RpcStatus = root.lookupType("otlp.Status");
const RpcErrorInfo = root.lookupType("otlp.ErrorInfo");

export const ERROR_INFO_TYPE_URL = "type.googleapis.com/google.rpc.ErrorInfo";

/**
 * Decodes an ExportLogsServiceRequest into the same shape as its OTLP/JSON form, except that
 * `bytes` fields (traceId, spanId, bytesValue) are Uint8Arrays and 64-bit integers are strings.
 */
export function decodeOtlpLogsRequest(bytes: Uint8Array): unknown {
  const message = OtlpExportLogsServiceRequest.decode(bytes);
  return OtlpExportLogsServiceRequest.toObject(message, { longs: String });
}

/** Encodes an ExportLogsServiceResponse for a protobuf client. */
export function encodeOtlpLogsResponse(partialSuccess: {
  rejectedLogRecords?: number | string;
  errorMessage?: string;
}): Uint8Array {
  const hasPartial =
    partialSuccess.rejectedLogRecords !== undefined || partialSuccess.errorMessage !== undefined;
  const message = OtlpExportLogsServiceResponse.fromObject(hasPartial ? { partialSuccess } : {});
  return OtlpExportLogsServiceResponse.encode(message).finish();
}

/** Encodes a google.rpc.Status whose one detail is an ErrorInfo carrying `reason` (a stable code). */
export function encodeRpcStatus(status: {
  code: number;
  message: string;
  reason: string;
  domain: string;
}): Uint8Array {
  const info = RpcErrorInfo.encode(
    RpcErrorInfo.fromObject({ reason: status.reason, domain: status.domain }),
  ).finish();
  const message = RpcStatus.fromObject({
    code: status.code,
    message: status.message,
    details: [{ typeUrl: ERROR_INFO_TYPE_URL, value: info }],
  });
  return RpcStatus.encode(message).finish();
}
