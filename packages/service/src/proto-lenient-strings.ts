/** A protobufjs JSON namespace: types (with `fields`) and namespaces (with `nested`). */
interface ProtoNamespace {
  nested?: Record<string, ProtoNamespace & { fields?: unknown; options?: Record<string, unknown> }>;
}

/**
 * Marks every message type under `namespace` to read `string` fields leniently: protobufjs gives
 * proto3 types `utf8_validation: VERIFY`, which fails the whole request for one byte that is not
 * UTF-8 (a Latin-1 line in a tailed file). Go's gogoproto, which Loki and the OpenTelemetry
 * Collector use, does not check either; such bytes become U+FFFD, as in JSON bodies.
 */
export function lenientStrings<T extends ProtoNamespace>(namespace: T): T {
  for (const child of Object.values(namespace.nested ?? {})) {
    if (child.fields !== undefined) {
      const features = { ...(child.options?.features as object), utf8_validation: "NONE" };
      child.options = { ...child.options, features };
    }
    lenientStrings(child);
  }
  return namespace;
}
