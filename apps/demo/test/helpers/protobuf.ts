// Hand-rolled protobuf writers for the two push formats, so that tests can send exact (and
// exactly broken) bytes: logproto.PushRequest (Loki) and ExportLogsServiceRequest (OTLP).
import protobuf from "protobufjs";
import snappy from "snappyjs";

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const bytesField = (field: number, data: Uint8Array) =>
  Buffer.from([...varint((field << 3) | 2), ...varint(data.length), ...data]);
const stringField = (field: number, s: string) => bytesField(field, Buffer.from(s, "utf8"));
const varintField = (field: number, n: number | bigint) => Buffer.from([...varint(field << 3), ...varint(n)]);
const fixed64Field = (field: number, n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return Buffer.concat([Buffer.from(varint((field << 3) | 1)), b]);
};

export interface LokiStream {
  labels: string;
  entries: { ms: number; line: string }[];
}

/** logproto.PushRequest, uncompressed. */
export function lokiPushProto(streams: LokiStream[]): Buffer {
  return Buffer.concat(
    streams.map((s) =>
      bytesField(
        1,
        Buffer.concat([
          stringField(1, s.labels),
          ...s.entries.map((e) =>
            bytesField(
              2,
              Buffer.concat([
                bytesField(
                  1,
                  Buffer.concat([
                    varintField(1, Math.floor(e.ms / 1000)),
                    varintField(2, (e.ms % 1000) * 1_000_000),
                  ]),
                ),
                stringField(2, e.line),
              ]),
            ),
          ),
        ]),
      ),
    ),
  );
}

/** logproto.PushRequest, snappy block-compressed as Loki clients send it. */
export function lokiPushSnappy(streams: LokiStream[]): Buffer {
  return Buffer.from(snappy.compress(lokiPushProto(streams)));
}

export interface OtlpRecord {
  ms: number;
  severityNumber: number;
  body: string;
}

/** ExportLogsServiceRequest with one resource (service.name) and one scope. */
export function otlpLogsProto(serviceName: string, records: OtlpRecord[]): Buffer {
  const anyString = (s: string) => stringField(1, s);
  const resource = bytesField(
    1,
    bytesField(1, Buffer.concat([stringField(1, "service.name"), bytesField(2, anyString(serviceName))])),
  );
  const scopeLogs = bytesField(
    2,
    Buffer.concat([
      bytesField(1, stringField(1, "test-scope")),
      ...records.map((r) =>
        bytesField(
          2,
          Buffer.concat([
            fixed64Field(1, BigInt(r.ms) * 1_000_000n),
            varintField(2, r.severityNumber),
            bytesField(5, anyString(r.body)),
          ]),
        ),
      ),
    ]),
  );
  return bytesField(1, Buffer.concat([resource, scopeLogs]));
}

/** The upstream google.rpc.Status, google.protobuf.Any and google.rpc.ErrorInfo, from their text. */
const rpcRoot = new protobuf.Root();
protobuf.parse(
  `syntax = "proto3"; package google.protobuf; message Any { string type_url = 1; bytes value = 2; }`,
  rpcRoot,
);
protobuf.parse(
  `syntax = "proto3"; package google.rpc; import "google/protobuf/any.proto";
  message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
  message ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }`,
  rpcRoot,
);
const RpcStatus = rpcRoot.lookupType("google.rpc.Status");
const ErrorInfo = rpcRoot.lookupType("google.rpc.ErrorInfo");

/** A protobuf google.rpc.Status, its details decoded when they are ErrorInfo. */
export function decodeRpcStatus(bytes: Uint8Array): {
  code: number;
  message: string;
  details: { typeUrl: string; reason?: string; domain?: string }[];
} {
  const status = RpcStatus.toObject(RpcStatus.decode(bytes), { defaults: true }) as {
    code: number;
    message: string;
    details: { typeUrl: string; value: Uint8Array }[];
  };
  return {
    code: status.code,
    message: status.message,
    details: status.details.map((d) =>
      d.typeUrl === "type.googleapis.com/google.rpc.ErrorInfo"
        ? { typeUrl: d.typeUrl, ...(ErrorInfo.toObject(ErrorInfo.decode(d.value)) as object) }
        : { typeUrl: d.typeUrl },
    ),
  };
}
