import zlib from "node:zlib";
import type { LogEntry } from "@batchlog/storage";
import { describe, expect, it } from "vitest";
import { BadRequestError, encodeOtlpResponse, UnsupportedMediaTypeError } from "../src/index.js";
import { allEntries, json, type ServiceFixture, useServiceFixtures } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";
import {
  encode,
  UpstreamExportLogsServiceRequest,
  UpstreamExportLogsServiceResponse,
} from "./helpers/upstream-protos.js";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const T0 = Date.UTC(2026, 10, 26, 11, 0, 0, 250);
const ns = (ms: number) => (BigInt(ms) * 1_000_000n + 789n).toString();
const TRACE = "5b8efff798038103d269b633813fc60c";
const SPAN = "eee19b7ec3c1b174";

/** One OTLP request in its JSON form; `toProto` turns it into the protobuf object form. */
function otlpJsonRequest() {
  const bands = [1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24];
  const banded = bands.map((n, i) => ({
    timeUnixNano: ns(T0 + i),
    severityNumber: n,
    severityText: "not the level: kept", // the number decides the level
    body: { stringValue: `severity ${n}` },
    flags: 0, // unset: not kept
    droppedAttributesCount: 0,
  }));
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "checkout" } },
            { key: "host.name", value: { stringValue: "node-7" } },
            { key: "shadowed", value: { stringValue: "resource" } },
          ],
          droppedAttributesCount: 2, // kept: the resource arrived incomplete
        },
        scopeLogs: [
          {
            scope: {
              name: "@acme/logger",
              version: "2.1.0",
              attributes: [{ key: "shadowed", value: { stringValue: "scope" } }],
              droppedAttributesCount: 1,
            },
            logRecords: [
              ...banded,
              {
                timeUnixNano: ns(T0 + 100),
                severityNumber: 0,
                severityText: "WARNING",
                body: { stringValue: "text fallback" },
                traceId: TRACE,
                spanId: SPAN,
                flags: 1, // sampled
                droppedAttributesCount: 3,
                attributes: [
                  { key: "shadowed", value: { stringValue: "record" } },
                  { key: "big", value: { intValue: "9007199254740993" } },
                  { key: "small", value: { intValue: 42 } },
                  { key: "neg", value: { intValue: "-7" } },
                  { key: "ratio", value: { doubleValue: 0.25 } },
                  { key: "ok", value: { boolValue: true } },
                  { key: "raw", value: { bytesValue: Buffer.from("hi!").toString("base64") } },
                  {
                    key: "nested",
                    value: {
                      kvlistValue: {
                        values: [
                          {
                            key: "list",
                            value: { arrayValue: { values: [{ intValue: "1" }, { stringValue: "two" }] } },
                          },
                          {
                            key: "deep",
                            value: { kvlistValue: { values: [{ key: "x", value: { boolValue: false } }] } },
                          },
                        ],
                      },
                    },
                  },
                  { key: "empty", value: {} },
                ],
              },
              {
                observedTimeUnixNano: ns(T0 + 200),
                body: { kvlistValue: { values: [{ key: "event", value: { stringValue: "login" } }] } },
                eventName: "user.login",
              },
              { severityNumber: "SEVERITY_NUMBER_ERROR2", body: { intValue: "5" } },
            ],
          },
        ],
      },
      {
        scopeLogs: [
          { logRecords: [{ timeUnixNano: Number(ns(T0 + 300)), body: { stringValue: "no resource" } }] },
        ],
      },
    ],
  };
}

/** The JSON form → the protobuf object form: hex ids → bytes, base64 bytesValue → bytes. */
function toProto(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => toProto(v));
  if (value === null || typeof value !== "object") {
    if ((key === "traceId" || key === "spanId") && typeof value === "string")
      return Buffer.from(value, "hex");
    if (key === "bytesValue" && typeof value === "string") return Buffer.from(value, "base64");
    return value;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toProto(v, k)]));
}

function expectMapped(stored: LogEntry[]) {
  const bands = [
    "trace",
    "trace",
    "debug",
    "debug",
    "info",
    "info",
    "warn",
    "warn",
    "error",
    "error",
    "fatal",
    "fatal",
  ];
  expect(stored).toHaveLength(16);
  expect(stored.slice(0, 12).map((e) => e.level)).toEqual(bands);
  expect(stored.slice(0, 12).map((e) => e.timestamp.getTime())).toEqual(bands.map((_, i) => T0 + i));
  expect(stored[0]).toMatchObject({ source: "checkout", message: "severity 1" });
  expect(stored[0]?.fields).toEqual({
    "service.name": "checkout",
    "host.name": "node-7",
    shadowed: "scope",
    "otel.scope.name": "@acme/logger",
    "otel.scope.version": "2.1.0",
    "otel.resource.dropped_attributes_count": 2,
    "otel.scope.dropped_attributes_count": 1,
    severity_text: "not the level: kept",
  });
  // a band's first number says no more than the level; TRACE4 does
  expect(stored.slice(0, 12).map((e) => e.fields?.severity_number)).toEqual(
    [1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24].map((n) => ((n - 1) % 4 === 0 ? undefined : n)),
  );
  const rich = stored[12];
  expect(rich).toMatchObject({ level: "warn", message: "text fallback", timestamp: new Date(T0 + 100) });
  expect(rich?.fields).toEqual({
    "service.name": "checkout",
    "host.name": "node-7",
    shadowed: "record",
    "otel.scope.name": "@acme/logger",
    "otel.scope.version": "2.1.0",
    "otel.resource.dropped_attributes_count": 2,
    "otel.scope.dropped_attributes_count": 1,
    big: "9007199254740993",
    small: 42,
    neg: -7,
    ratio: 0.25,
    ok: true,
    raw: Buffer.from("hi!").toString("base64"),
    nested: { list: [1, "two"], deep: { x: false } },
    empty: null,
    trace_id: TRACE,
    span_id: SPAN,
    flags: 1,
    dropped_attributes_count: 3,
    severity_text: "WARNING", // the sender's word, an alias of warn
  });
  expect(stored[13]).toMatchObject({
    level: "info",
    timestamp: new Date(T0 + 200),
    message: '{"event":"login"}',
  });
  expect(stored[13]?.fields).toMatchObject({ event_name: "user.login" });
  expect(stored[14]).toMatchObject({ level: "error", timestamp: new Date(NOW), message: "5" });
  expect(stored[15]).toMatchObject({
    source: "unknown",
    message: "no resource",
    timestamp: new Date(T0 + 300),
  });
  expect(stored[15]?.fields).toBeNull();
}

describe.each(IMPLEMENTATIONS)("ingestOtlp on %s storage", (impl) => {
  const { open, refusing } = useServiceFixtures(impl);
  let fx: ServiceFixture;

  it("maps an OTLP/JSON export: every severity band, int64 as string and number, nested attributes", async () => {
    fx = await open({ now: () => NOW });
    const result = await fx.service.ingestOtlp(json(otlpJsonRequest()), { contentType: "application/json" });
    expect(result).toMatchObject({ partialSuccess: {}, accepted: 16, errors: [], encoding: "json" });
    expectMapped(await allEntries(fx.storage));
  });

  it("maps the same export sent as protobuf, and gzip-compressed", async () => {
    fx = await open({ now: () => NOW });
    const proto = encode(
      UpstreamExportLogsServiceRequest,
      toProto(otlpJsonRequest()) as Record<string, unknown>,
    );
    const result = await fx.service.ingestOtlp(zlib.gzipSync(proto), {
      contentType: "application/x-protobuf",
      contentEncoding: "gzip",
    });
    expect(result).toMatchObject({ partialSuccess: {}, accepted: 16, encoding: "protobuf" });
    expectMapped(await allEntries(fx.storage));
  });

  it("reports rejected records in partialSuccess and stores the rest", async () => {
    fx = await open({ now: () => NOW });
    const request = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                { body: { stringValue: "kept" } },
                { body: { stringValue: "x".repeat(70_000) } },
                { timeUnixNano: "soon", body: { stringValue: "bad time" } },
                {},
                { body: { stringValue: "kept too" } },
              ],
            },
          ],
        },
      ],
    };
    const result = await fx.service.ingestOtlp(json(request), { contentType: "application/json" });
    expect(result.accepted).toBe(2);
    expect(result.partialSuccess.rejectedLogRecords).toBe(3);
    expect(result.partialSuccess.errorMessage).toMatch(
      /record 1: message.*record 2: timestamp.*record 3: message/,
    );
    expect((await allEntries(fx.storage)).map((e) => e.message)).toEqual(["kept", "kept too"]);

    const encoded = encodeOtlpResponse(result.partialSuccess, "protobuf");
    expect(encoded.contentType).toBe("application/x-protobuf");
    const decoded = UpstreamExportLogsServiceResponse.toObject(
      UpstreamExportLogsServiceResponse.decode(encoded.body),
      {
        longs: Number,
      },
    );
    expect(decoded).toEqual({ partialSuccess: result.partialSuccess });
    expect(JSON.parse(encodeOtlpResponse(result.partialSuccess, "json").body.toString())).toEqual({
      partialSuccess: { rejectedLogRecords: "3", errorMessage: result.partialSuccess.errorMessage },
    });
    // Full success leaves partial_success unset (OTLP spec), in both encodings.
    expect(JSON.parse(encodeOtlpResponse({}, "json").body.toString())).toEqual({});
    expect(encodeOtlpResponse({}, "protobuf").body).toHaveLength(0);
  });

  it("stores a record without a body (an event) with an empty message, from JSON as from protobuf", async () => {
    fx = await open({ now: () => NOW });
    // What exporter-logs-otlp-http sends for logger.emit({ eventName, attributes }): `body: {}`.
    const request = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: ns(T0),
                  eventName: "cart.viewed",
                  body: {},
                  attributes: [{ key: "sku", value: { stringValue: "A1" } }],
                },
              ],
            },
          ],
        },
      ],
    };
    await fx.service.ingestOtlp(json(request), { contentType: "application/json" });
    const proto = encode(UpstreamExportLogsServiceRequest, toProto(request) as Record<string, unknown>);
    await fx.service.ingestOtlp(Buffer.from(proto), { contentType: "application/x-protobuf" });
    const event = { message: "", fields: { sku: "A1", event_name: "cart.viewed" } };
    expect((await allEntries(fx.storage)).map((e) => ({ message: e.message, fields: e.fields }))).toEqual([
      event,
      event,
    ]);
  });

  it("rejects a record whose body or attribute is not an AnyValue, and a double it cannot read", async () => {
    fx = await open({ now: () => NOW });
    const records = [
      { body: "a bare string" },
      { body: { stringValue: "x" }, attributes: [{ key: "order", value: "o-42" }] },
      { body: { stringValue: "x" }, attributes: [{ key: "n", value: { arrayValue: { values: [7] } } }] },
      { body: { doubleValue: "many" } },
      { body: { stringvalue: "unknown keys are ignored, as the spec says" } },
      {
        body: { doubleValue: "NaN" },
        attributes: [
          { key: "inf", value: { doubleValue: "Infinity" } },
          { key: "ninf", value: { doubleValue: "-Infinity" } },
          { key: "half", value: { doubleValue: "0.5" } },
        ],
      },
    ];
    const result = await fx.service.ingestOtlp(
      json({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }),
      { contentType: "application/json" },
    );
    expect(result.errors.map((e) => [e.index, e.error])).toEqual([
      [0, 'body: not an AnyValue: got a string, expected an object such as {"stringValue":"…"}'],
      [
        1,
        'attributes: "order": not an AnyValue: got a string, expected an object such as {"stringValue":"…"}',
      ],
      [2, 'attributes: "n": not an AnyValue: got a number, expected an object such as {"stringValue":"…"}'],
      [3, "body: not a double: many"],
      [4, "message: may be empty only when fields has keys"],
    ]);
    expect((await allEntries(fx.storage)).map((e) => ({ message: e.message, fields: e.fields }))).toEqual([
      { message: "NaN", fields: { inf: "Infinity", ninf: "-Infinity", half: 0.5 } },
    ]);
  });

  it("keeps NaN and infinite doubles from protobuf by name, not as null", async () => {
    fx = await open({ now: () => NOW });
    const request = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  body: { doubleValue: Number.NaN },
                  attributes: [{ key: "inf", value: { doubleValue: Number.NEGATIVE_INFINITY } }],
                },
              ],
            },
          ],
        },
      ],
    };
    const proto = encode(UpstreamExportLogsServiceRequest, request as Record<string, unknown>);
    await fx.service.ingestOtlp(Buffer.from(proto), { contentType: "application/x-protobuf" });
    expect((await allEntries(fx.storage)).map((e) => [e.message, e.fields])).toEqual([
      ["NaN", { inf: "-Infinity" }],
    ]);
  });

  it("refuses a record stamped before 1973 (a unit mistake) and takes 0 as not set", async () => {
    fx = await open({ now: () => NOW });
    const records = [
      { timeUnixNano: String(T0), body: { stringValue: "milliseconds" } },
      { timeUnixNano: "0", observedTimeUnixNano: String(T0 * 1000), body: { stringValue: "observed µs" } },
      { timeUnixNano: "0", body: { stringValue: "no time: the time of receipt" } },
      { timeUnixNano: ns(T0), body: { stringValue: "nanoseconds" } },
    ];
    const result = await fx.service.ingestOtlp(
      json({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }),
      { contentType: "application/json" },
    );
    expect(result.errors.map((e) => [e.index, e.error])).toEqual([
      [
        0,
        `timestamp: timeUnixNano ${T0} looks like epoch milliseconds; nanoseconds since the epoch are expected`,
      ],
      [
        1,
        `timestamp: observedTimeUnixNano ${T0 * 1000} looks like epoch microseconds; nanoseconds since the epoch are expected`,
      ],
    ]);
    expect((await allEntries(fx.storage)).map((e) => [e.message, e.timestamp.getTime()])).toEqual([
      ["no time: the time of receipt", NOW],
      ["nanoseconds", T0],
    ]);
  });

  it("keeps an attribute named __proto__ as a field: it never becomes the prototype that service.name is read from", async () => {
    fx = await open({ now: () => NOW });
    const body = Buffer.from(
      JSON.stringify({
        resourceLogs: [
          {
            resource: {
              attributes: [
                {
                  key: "__proto__",
                  value: {
                    kvlistValue: { values: [{ key: "service.name", value: { stringValue: "spoofed" } }] },
                  },
                },
              ],
            },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: ns(T0),
                    body: { stringValue: "proto" },
                    attributes: [{ key: "__proto__", value: { stringValue: "kept" } }],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    await fx.service.ingestOtlp(body, { contentType: "application/json" });
    const [entry] = await allEntries(fx.storage);
    expect(entry?.source).toBe("unknown");
    expect(JSON.stringify(entry?.fields)).toBe('{"__proto__":"kept"}');
  });

  it("rejects a record nested too deeply, and a whole request whose resource is", async () => {
    fx = await open();
    let deep: Record<string, unknown> = { stringValue: "bottom" };
    for (let i = 0; i < 40; i++) deep = { arrayValue: { values: [deep] } };
    const records = [
      { body: { stringValue: "fine" } },
      { body: deep },
      { body: { stringValue: "x" }, attributes: [{ key: "k", value: deep }] },
    ];
    const result = await fx.service.ingestOtlp(
      json({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }),
      {
        contentType: "application/json",
      },
    );
    expect(result.accepted).toBe(1);
    expect(result.errors.map((e) => [e.index, e.field])).toEqual([
      [1, "body"],
      [2, "attributes"],
    ]);
    const deepResource = {
      resourceLogs: [{ resource: { attributes: [{ key: "k", value: deep }] }, scopeLogs: [] }],
    };
    await expect(
      fx.service.ingestOtlp(json(deepResource), { contentType: "application/json" }),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it("accepts an empty export", async () => {
    fx = await open();
    const result = await fx.service.ingestOtlp(json({}), { contentType: "application/json" });
    expect(result).toMatchObject({ partialSuccess: {}, accepted: 0 });
    const empty = await fx.service.ingestOtlp(Buffer.alloc(0), { contentType: "application/x-protobuf" });
    expect(empty).toMatchObject({ partialSuccess: {}, accepted: 0 });
  });

  it.each([
    ["invalid JSON", Buffer.from("{resourceLogs"), "application/json"],
    ["resourceLogs not an array", json({ resourceLogs: 5 }), "application/json"],
    [
      "logRecords of scalars",
      json({ resourceLogs: [{ scopeLogs: [{ logRecords: [1, 2] }] }] }),
      "application/json",
    ],
    ["a JSON array", json([]), "application/json"],
    ["truncated protobuf", Buffer.from([0x0a, 0x20, 0x12]), "application/x-protobuf"],
  ])("answers 400 for %s", async (_name, body, contentType) => {
    const fx = await refusing();
    await expect(fx.service.ingestOtlp(body, { contentType })).rejects.toBeInstanceOf(BadRequestError);
    expect(await allEntries(fx.storage)).toHaveLength(0);
  });

  it("answers 415 for an unknown Content-Type", async () => {
    const fx = await refusing();
    await expect(fx.service.ingestOtlp(json({}), { contentType: "text/plain" })).rejects.toBeInstanceOf(
      UnsupportedMediaTypeError,
    );
  });

  it("turns base64 trace and span ids (protobuf's generic JSON mapping) into hex, and reads 00 as an unset time", async () => {
    fx = await open({ now: () => NOW });
    const base64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
    const request = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                { traceId: base64(TRACE), spanId: base64(SPAN), body: { stringValue: "grpc-gateway" } },
                {
                  timeUnixNano: "00",
                  observedTimeUnixNano: ns(T0),
                  traceId: "not-an-id",
                  body: { stringValue: "zero written long" },
                },
              ],
            },
          ],
        },
      ],
    };
    const result = await fx.service.ingestOtlp(json(request), { contentType: "application/json" });
    expect(result).toMatchObject({ accepted: 2, errors: [] });
    const [gateway, zero] = await allEntries(fx.storage);
    expect(gateway?.fields).toEqual({ trace_id: TRACE, span_id: SPAN });
    // the observed time, not a refusal of "00" as a time before 1973
    expect(zero?.timestamp).toEqual(new Date(T0));
    expect(zero?.fields).toEqual({ trace_id: "not-an-id" }); // kept as sent: neither hex nor a 16-byte base64
  });
});
