import protobuf from "protobufjs";
import { lenientStrings } from "./proto-lenient-strings.js";

/**
 * The subset of Loki's `pkg/push/push.proto` a push carries, as protobufjs reflection (no .proto
 * file to load at run time). Field numbers are the wire contract:
 * PushRequest{repeated StreamAdapter streams = 1}
 * StreamAdapter{string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3}
 * EntryAdapter{google.protobuf.Timestamp timestamp = 1; string line = 2;
 *              repeated LabelPairAdapter structuredMetadata = 3}
 * LabelPairAdapter{string name = 1; string value = 2}
 */
const root = protobuf.Root.fromJSON(
  lenientStrings({
    nested: {
      logproto: {
        nested: {
          PushRequest: { fields: { streams: { rule: "repeated", type: "StreamAdapter", id: 1 } } },
          StreamAdapter: {
            fields: {
              labels: { type: "string", id: 1 },
              entries: { rule: "repeated", type: "EntryAdapter", id: 2 },
              hash: { type: "uint64", id: 3 },
            },
          },
          EntryAdapter: {
            fields: {
              timestamp: { type: "Timestamp", id: 1 },
              line: { type: "string", id: 2 },
              structuredMetadata: { rule: "repeated", type: "LabelPairAdapter", id: 3 },
            },
          },
          LabelPairAdapter: { fields: { name: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
          // Wire-identical to google.protobuf.Timestamp.
          Timestamp: { fields: { seconds: { type: "int64", id: 1 }, nanos: { type: "int32", id: 2 } } },
        },
      },
    },
  }),
);

export const LokiPushRequest = root.lookupType("logproto.PushRequest");

export interface LokiProtoPush {
  streams?: {
    labels?: string;
    entries?: {
      timestamp?: { seconds?: string; nanos?: number };
      line?: string;
      structuredMetadata?: { name?: string; value?: string }[];
    }[];
  }[];
}

/** Decodes an (already decompressed) PushRequest; 64-bit integers come back as decimal strings. */
export function decodeLokiPushRequest(bytes: Uint8Array): LokiProtoPush {
  const message = LokiPushRequest.decode(bytes);
  return LokiPushRequest.toObject(message, { longs: String }) as LokiProtoPush;
}
