import protobuf from "protobufjs";

/**
 * The upstream .proto definitions (Loki's push.proto; opentelemetry-proto logs), parsed from their
 * text with protobufjs: the tests encode with these, independently of the service's reflection
 * schemas, so a wrong field number or type there shows up as a failed decode.
 */
const LOKI_PUSH_PROTO = `
syntax = "proto3";
package logproto;
import "google/protobuf/timestamp.proto";
message PushRequest { repeated StreamAdapter streams = 1; }
message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
message EntryAdapter {
  google.protobuf.Timestamp timestamp = 1;
  string line = 2;
  repeated LabelPairAdapter structuredMetadata = 3;
}
message LabelPairAdapter { string name = 1; string value = 2; }
`;

const SEVERITIES = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].flatMap((band, b) =>
  [1, 2, 3, 4].map((k) => `SEVERITY_NUMBER_${band}${k === 1 ? "" : k} = ${b * 4 + k};`),
);

const OTLP_LOGS_PROTO = `
syntax = "proto3";
package opentelemetry.proto.collector.logs.v1;
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
message ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
message InstrumentationScope {
  string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4;
}
enum SeverityNumber { SEVERITY_NUMBER_UNSPECIFIED = 0; ${SEVERITIES.join(" ")} }
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  SeverityNumber severity_number = 2;
  string severity_text = 3;
  AnyValue body = 5;
  repeated KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
`;

function parse(source: string): protobuf.Root {
  const root = new protobuf.Root();
  const timestamp = protobuf.common.get("google/protobuf/timestamp.proto");
  if (timestamp?.nested) root.addJSON(timestamp.nested);
  protobuf.parse(source, root);
  return root;
}

const loki = parse(LOKI_PUSH_PROTO);
const otlp = parse(OTLP_LOGS_PROTO);

export const UpstreamPushRequest = loki.lookupType("logproto.PushRequest");
export const UpstreamExportLogsServiceRequest = otlp.lookupType(
  "opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest",
);
export const UpstreamExportLogsServiceResponse = otlp.lookupType(
  "opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse",
);

/** fromObject accepts 64-bit integers as decimal strings, as OTLP/JSON writes them. */
export function encode(type: protobuf.Type, object: Record<string, unknown>): Buffer {
  return Buffer.from(type.encode(type.fromObject(object)).finish());
}
