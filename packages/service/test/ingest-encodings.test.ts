// Body text on every ingest route: bytes that are not UTF-8 are stored as U+FFFD instead of
// failing the whole request (a shipper drops a batch answered 400), a declared charset is honoured,
// and a body without a Content-Type is recognised as JSON after a byte-order mark.
import snappy from "snappyjs";
import { describe, expect, it } from "vitest";
import { UnsupportedMediaTypeError } from "../src/index.js";
import { allEntries, json, type ServiceFixture, useServiceFixtures } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";
import { encode, UpstreamExportLogsServiceRequest, UpstreamPushRequest } from "./helpers/upstream-protos.js";

const T0_MS = Date.UTC(2026, 10, 26, 9, 30, 0, 123);
const NS = `${T0_MS}000000`;

/** `encoded` with the byte of the first `marker` character of `text` replaced by `byte`. */
function patch(encoded: Uint8Array, text: string, byte: number): Buffer {
  const out = Buffer.from(encoded);
  const at = out.indexOf(Buffer.from(text));
  expect(at).toBeGreaterThanOrEqual(0);
  out[at + text.indexOf("~")] = byte;
  return out;
}

const lokiProto = (lines: string[]) =>
  encode(UpstreamPushRequest, {
    streams: [
      {
        labels: '{app="files"}',
        entries: lines.map((line) => ({ timestamp: { seconds: Math.floor(T0_MS / 1000), nanos: 0 }, line })),
      },
    ],
  });

const otlpRecords = (bodies: string[]) => ({
  resourceLogs: [
    {
      scopeLogs: [{ logRecords: bodies.map((b) => ({ timeUnixNano: NS, body: { stringValue: b } })) }],
    },
  ],
});

describe.each(IMPLEMENTATIONS)("request body text on %s storage", (impl) => {
  const { open, refusing } = useServiceFixtures(impl);
  let fx: ServiceFixture;

  it("stores a Latin-1 byte in a snappy protobuf Loki push as U+FFFD, with the rest of the batch", async () => {
    fx = await open();
    const body = snappy.compress(patch(lokiProto(["good line", "caf~ au lait"]), "caf~", 0xe9));
    const result = await fx.service.ingestLoki(Buffer.from(body), { contentType: "application/x-protobuf" });
    expect(result).toMatchObject({ accepted: 2, errors: [] });
    expect((await allEntries(fx.storage)).map((e) => e.message)).toEqual(["good line", "caf\uFFFD au lait"]);
  });

  it("stores a byte that is not UTF-8 in an OTLP protobuf export as U+FFFD", async () => {
    fx = await open();
    const proto = encode(UpstreamExportLogsServiceRequest, {
      resourceLogs: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "svc~" } }] },
          scopeLogs: [
            {
              logRecords: [
                { timeUnixNano: NS, body: { stringValue: "good" } },
                { timeUnixNano: NS, body: { stringValue: "caf~" } },
              ],
            },
          ],
        },
      ],
    });
    const body = patch(patch(proto, "caf~", 0xe9), "svc~", 0xff);
    const result = await fx.service.ingestOtlp(body, { contentType: "application/x-protobuf" });
    expect(result).toMatchObject({ accepted: 2, errors: [] });
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => [e.source, e.message])).toEqual([
      ["svc\uFFFD", "good"],
      ["svc\uFFFD", "caf\uFFFD"],
    ]);
  });

  it("stores bytes that are not UTF-8 in JSON bodies as U+FFFD on all three routes", async () => {
    fx = await open();
    const bad = (text: string) => patch(Buffer.from(text), "caf~", 0xe9);
    await fx.service.ingestNative(bad('{"message":"native caf~"}'), "application/json");
    await fx.service.ingestNative(bad('{"message":"ok"}\n{"message":"ndjson caf~"}'), "application/x-ndjson");
    await fx.service.ingestLoki(
      bad(JSON.stringify({ streams: [{ stream: { app: "a" }, values: [[NS, "loki caf~"]] }] })),
      { contentType: "application/json" },
    );
    await fx.service.ingestOtlp(bad(JSON.stringify(otlpRecords(["otlp caf~"]))), {
      contentType: "application/json",
    });
    expect((await allEntries(fx.storage)).map((e) => e.message)).toEqual([
      "native caf\uFFFD",
      "ok",
      "ndjson caf\uFFFD",
      "loki caf\uFFFD",
      "otlp caf\uFFFD",
    ]);
  });

  it("decodes a body in the charset its Content-Type declares", async () => {
    fx = await open();
    const text = JSON.stringify({ message: "café ünïcode ✓" });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    await fx.service.ingestNative(utf16, "application/json; charset=UTF-16");
    await fx.service.ingestNative(
      Buffer.from('{"message":"café"}', "latin1"),
      "text/plain; charset=iso-8859-1",
    );
    await fx.service.ingestLoki(
      Buffer.from(JSON.stringify({ streams: [{ stream: { app: "a" }, values: [[NS, "naïve"]] }] }), "latin1"),
      { contentType: 'application/json; charset="ISO-8859-1"' },
    );
    expect((await allEntries(fx.storage)).map((e) => e.message)).toEqual(["café ünïcode ✓", "café", "naïve"]);
  });

  it("answers 415 for a charset it cannot decode, naming it", async () => {
    fx = await refusing();
    const type = "application/json; charset=klingon-8";
    for (const send of [
      () => fx.service.ingestNative(json({ message: "x" }), type),
      () => fx.service.ingestLoki(json({ streams: [] }), { contentType: type }),
      () => fx.service.ingestOtlp(json(otlpRecords(["x"])), { contentType: type }),
    ]) {
      const error = await send().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
      expect((error as Error).message).toContain('unsupported charset "klingon-8"');
    }
    expect(await allEntries(fx.storage)).toHaveLength(0);
  });

  it("takes a body without a Content-Type that starts with a byte-order mark as JSON", async () => {
    fx = await open();
    const bom = (value: unknown) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(value)]);
    const otlp = await fx.service.ingestOtlp(bom(otlpRecords(["otlp"])), {});
    expect(otlp).toMatchObject({ accepted: 1, encoding: "json" });
    await fx.service.ingestLoki(bom({ streams: [{ stream: { app: "a" }, values: [[NS, "loki"]] }] }), {});
    expect((await allEntries(fx.storage)).map((e) => e.message)).toEqual(["otlp", "loki"]);
  });

  it("says a snappy Loki body that is not a PushRequest is not one, rather than not snappy", async () => {
    fx = await refusing();
    const error = await fx.service
      .ingestLoki(Buffer.from(snappy.compress(Buffer.from([0x0a, 0x05, 0x01]))), {
        contentType: "application/x-protobuf",
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^body is snappy-compressed but not a logproto\.PushRequest/);
  });
});
