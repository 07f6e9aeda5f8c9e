import zlib from "node:zlib";
import snappy from "snappyjs";
import { describe, expect, it } from "vitest";
import { BadRequestError, UnsupportedMediaTypeError } from "../src/index.js";
import { allEntries, json, type ServiceFixture, useServiceFixtures } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";
import { encode, UpstreamPushRequest } from "./helpers/upstream-protos.js";

const T0_MS = Date.UTC(2026, 10, 26, 9, 30, 0, 123);
const ns = (ms: number, extraNs = 0) => (BigInt(ms) * 1_000_000n + BigInt(extraNs)).toString();

function protoPush(streams: { labels: string; entries: [number, string, Record<string, string>?][] }[]) {
  return encode(UpstreamPushRequest, {
    streams: streams.map((s) => ({
      labels: s.labels,
      entries: s.entries.map(([ms, line, metadata]) => ({
        timestamp: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 + 456 },
        line,
        structuredMetadata: Object.entries(metadata ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })),
  });
}

describe.each(IMPLEMENTATIONS)("ingestLoki on %s storage", (impl) => {
  const { open, refusing } = useServiceFixtures(impl);
  let fx: ServiceFixture;

  it("refuses a timestamp before 1973 as an item error naming the unit it looks like, keeps the rest", async () => {
    fx = await open();
    const seconds = String(Math.floor(T0_MS / 1000));
    const body = json({
      streams: [
        {
          stream: { app: "a" },
          values: [
            [seconds, "seconds"],
            [String(T0_MS), "milliseconds"],
            [String(T0_MS * 1000), "microseconds"],
            ["0", "zero"],
            ["1000", "a microsecond after the epoch"],
            [ns(T0_MS), "nanoseconds"],
          ],
        },
      ],
    });
    const result = await fx.service.ingestLoki(body, { contentType: "application/json" });
    expect(result.errors.map((e) => e.error)).toEqual([
      `timestamp: ${seconds} looks like epoch seconds; nanoseconds since the epoch are expected`,
      `timestamp: ${T0_MS} looks like epoch milliseconds; nanoseconds since the epoch are expected`,
      `timestamp: ${T0_MS * 1000} looks like epoch microseconds; nanoseconds since the epoch are expected`,
      "timestamp: 0 is 0 (no time was set)",
      "timestamp: 1000 is not a plausible time in nanoseconds since the epoch (1973 or later)",
    ]);
    expect((await allEntries(fx.storage)).map((e) => [e.message, e.timestamp.getTime()])).toEqual([
      ["nanoseconds", T0_MS],
    ]);
    // a protobuf entry without a timestamp is 0 too, not January 1970
    const proto = Buffer.from(
      encode(UpstreamPushRequest, { streams: [{ labels: '{app="p"}', entries: [{ line: "no time" }] }] }),
    );
    const unstamped = await fx.service.ingestLoki(proto, { contentType: "application/x-protobuf" });
    expect(unstamped.errors.map((e) => e.error)).toEqual(["timestamp: 0 is 0 (no time was set)"]);
  });

  it("reads a stream's labels from a `labels` selector when it has no `stream` object", async () => {
    fx = await open();
    const body = json({
      streams: [
        { labels: '{job="mixed", level="error"}', values: [[ns(T0_MS), "from labels"]] },
        { labels: "{job=", values: [[ns(T0_MS), "bad selector"]] },
      ],
    });
    const result = await fx.service.ingestLoki(body, { contentType: "application/json" });
    expect(result.errors.map((e) => e.field)).toEqual(["stream"]);
    expect(result.errors[0]?.error).toMatch(/^labels: /);
    expect(await allEntries(fx.storage)).toMatchObject([
      { message: "from labels", level: "error", source: "mixed", fields: { job: "mixed", level: "error" } },
    ]);
  });

  it("keeps a label or metadata key named __proto__ as a field, from JSON as from protobuf", async () => {
    fx = await open();
    const body = Buffer.from(
      `{"streams":[{"stream":{"app":"a","__proto__":"label"},"values":[["${ns(T0_MS)}","json",{"__proto__":"meta"}]]}]}`,
    );
    await fx.service.ingestLoki(body, { contentType: "application/json" });
    await fx.service.ingestLoki(
      Buffer.from(
        encode(UpstreamPushRequest, {
          streams: [
            {
              labels: '{app="b", "__proto__"="label"}',
              entries: [
                {
                  timestamp: { seconds: Math.floor(T0_MS / 1000), nanos: 0 },
                  line: "proto",
                  structuredMetadata: [{ name: "__proto__", value: "meta" }],
                },
              ],
            },
          ],
        }),
      ),
      { contentType: "application/x-protobuf" },
    );
    const entries = await allEntries(fx.storage);
    expect(entries.map((e) => [e.message, JSON.stringify(e.fields)])).toEqual([
      ["json", '{"app":"a","__proto__":"meta"}'],
      ["proto", '{"app":"b","__proto__":"meta"}'],
    ]);
  });

  it("stores a pino-loki style JSON push (one stream per line, level label)", async () => {
    fx = await open();
    const lines = [
      ["warning", { level: 40, msg: "slow query", ms: 812 }],
      ["critical", { level: 60, msg: "out of memory" }],
      ["debug", { level: 20, msg: "cache miss" }],
    ] as const;
    const body = json({
      streams: lines.map(([level, line], i) => ({
        stream: { level, hostname: "web-1" },
        values: [[ns(T0_MS + i), JSON.stringify(line)]],
      })),
    });
    const result = await fx.service.ingestLoki(body, { contentType: "application/json" });
    expect(result).toMatchObject({ accepted: 3, errors: [] });
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => [e.level, e.source, e.timestamp.getTime(), JSON.parse(e.message).msg])).toEqual([
      ["warn", "unknown", T0_MS, "slow query"],
      ["fatal", "unknown", T0_MS + 1, "out of memory"],
      ["debug", "unknown", T0_MS + 2, "cache miss"],
    ]);
    expect(stored[0]?.fields).toEqual({ level: "warning", hostname: "web-1" });
  });

  it("files winston's own levels (silly, http, verbose) below info, not as info", async () => {
    fx = await open();
    const body = json({
      streams: ["silly", "http", "verbose"].map((level, i) => ({
        stream: { level, job: "winston" },
        values: [[ns(T0_MS + i), `${level} line`]],
      })),
    });
    expect(await fx.service.ingestLoki(body, { contentType: "application/json" })).toMatchObject({
      accepted: 3,
    });
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => [e.message, e.level])).toEqual([
      ["silly line", "trace"],
      ["http line", "debug"],
      ["verbose line", "trace"],
    ]);
  });

  it("maps structured metadata (winston-loki JSON mode) and picks the source and level labels", async () => {
    fx = await open();
    const body = json({
      streams: [
        {
          stream: { service_name: "checkout", job: "k8s/checkout", detected_level: "info" },
          values: [
            [ns(T0_MS), "paid", { trace_id: "abc123", level: "ERR" }],
            [ns(T0_MS + 5), "shipped", {}],
          ],
        },
        { stream: { job: "cron", severity: "WARN" }, values: [[ns(T0_MS + 9), "late"]] },
      ],
    });
    const result = await fx.service.ingestLoki(body, { contentType: "application/json" });
    expect(result.accepted).toBe(3);
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => [e.source, e.level, e.message])).toEqual([
      ["checkout", "error", "paid"],
      ["checkout", "info", "shipped"],
      ["cron", "warn", "late"],
    ]);
    expect(stored[0]?.fields).toEqual({
      service_name: "checkout",
      job: "k8s/checkout",
      detected_level: "info",
      trace_id: "abc123",
      level: "ERR",
    });
  });

  it("stores a snappy-compressed protobuf push sent without Content-Encoding (promtail, Alloy, winston-loki)", async () => {
    fx = await open();
    const body = Buffer.from(
      snappy.compress(
        protoPush([
          {
            labels: String.raw`{app="billing", level="warn", note="say \"hi\"\n", path="C:\\tmp"}`,
            entries: [
              [T0_MS, "invoice late", { customer: "c-42" }],
              [T0_MS + 1000, "invoice paid"],
            ],
          },
          { labels: "{}", entries: [[T0_MS + 2000, "no labels at all"]] },
        ]),
      ),
    );
    const result = await fx.service.ingestLoki(body, { contentType: "application/x-protobuf" });
    expect(result).toMatchObject({ accepted: 3, errors: [] });
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => [e.source, e.level, e.message, e.timestamp.getTime()])).toEqual([
      ["billing", "warn", "invoice late", T0_MS],
      ["billing", "warn", "invoice paid", T0_MS + 1000],
      ["unknown", "info", "no labels at all", T0_MS + 2000],
    ]);
    expect(stored[0]?.fields).toEqual({
      app: "billing",
      level: "warn",
      note: 'say "hi"\n',
      path: "C:\\tmp",
      customer: "c-42",
    });
    expect(stored[2]?.fields).toBeNull();
  });

  it("stores Vector's default push: snappy protobuf that also says Content-Encoding: snappy", async () => {
    fx = await open();
    const body = Buffer.from(
      snappy.compress(
        protoPush([
          { labels: '{agent="vector", level="error"}', entries: [[T0_MS, "disk full", { pod: "p-1" }]] },
        ]),
      ),
    );
    const result = await fx.service.ingestLoki(body, {
      contentType: "application/x-protobuf",
      contentEncoding: "snappy",
    });
    expect(result).toMatchObject({ accepted: 1, errors: [] });
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => [e.level, e.message, e.fields])).toEqual([
      ["error", "disk full", { agent: "vector", level: "error", pod: "p-1" }],
    ]);
  });

  it("accepts the legacy JSON form and maps an unknown level label to info", async () => {
    fx = await open();
    const body = json({
      streams: [
        {
          labels: '{job="legacy", level="chatty"}',
          entries: [{ ts: new Date(T0_MS).toISOString(), line: "old style" }],
        },
      ],
    });
    const result = await fx.service.ingestLoki(body, { contentType: "application/json" });
    expect(result).toMatchObject({ accepted: 1, errors: [] });
    const [entry] = await allEntries(fx.storage);
    expect(entry).toMatchObject({
      source: "legacy",
      level: "info",
      message: "old style",
      timestamp: new Date(T0_MS),
    });
    expect(entry?.fields).toEqual({ job: "legacy", level: "chatty" });
  });

  it("accepts an uncompressed protobuf push too", async () => {
    fx = await open();
    const body = protoPush([{ labels: '{job="raw"}', entries: [[T0_MS, "plain"]] }]);
    const result = await fx.service.ingestLoki(body, { contentType: "application/x-protobuf" });
    expect(result.accepted).toBe(1);
    expect((await allEntries(fx.storage))[0]).toMatchObject({ source: "raw", message: "plain" });
  });

  it.each([
    ["gzip", (b: Buffer) => zlib.gzipSync(b)],
    ["deflate", (b: Buffer) => zlib.deflateSync(b)],
    ["snappy", (b: Buffer) => Buffer.from(snappy.compress(b))],
  ])("undoes Content-Encoding %s on a JSON push", async (encoding, compress) => {
    fx = await open();
    const body = compress(json({ streams: [{ stream: { app: "zipped" }, values: [[ns(T0_MS), "hello"]] }] }));
    const result = await fx.service.ingestLoki(body, {
      contentType: "application/json",
      contentEncoding: encoding,
    });
    expect(result.accepted).toBe(1);
    expect((await allEntries(fx.storage))[0]).toMatchObject({ source: "zipped", message: "hello" });
  });

  it("rejects only the bad values and streams; the rest is stored", async () => {
    fx = await open();
    const body = json({
      streams: [
        {
          stream: { app: "a" },
          values: [
            [ns(T0_MS), "good 0"],
            ["not-a-number", "bad ts"],
            [ns(T0_MS), 42],
            [ns(T0_MS), "good 3"],
            "x",
          ],
        },
        { stream: { app: { nested: true } }, values: [[ns(T0_MS), "bad labels"]] },
        { stream: { app: "b" }, values: [[ns(T0_MS), "good 6", { k: ["not", "a", "string"] }]] },
        { stream: { app: "c" }, values: [[ns(T0_MS), "good 7"]] },
      ],
    });
    const result = await fx.service.ingestLoki(body, { contentType: "application/json" });
    expect(result.accepted).toBe(3);
    expect(result.errors.map((e) => [e.index, e.field])).toEqual([
      [1, "timestamp"],
      [2, "message"],
      [4, undefined],
      [5, "stream"],
      [6, "structured_metadata"],
    ]);
    expect((await allEntries(fx.storage)).map((e) => e.message)).toEqual(["good 0", "good 3", "good 7"]);
  });

  it("rejects the entries of a protobuf stream with a malformed label set, keeps the others", async () => {
    fx = await open();
    const body = Buffer.from(
      snappy.compress(
        protoPush([
          { labels: '{app="ok"}', entries: [[T0_MS, "kept"]] },
          {
            labels: '{app="unterminated}',
            entries: [
              [T0_MS, "lost 1"],
              [T0_MS, "lost 2"],
            ],
          },
        ]),
      ),
    );
    const result = await fx.service.ingestLoki(body, { contentType: "application/x-protobuf" });
    expect(result.accepted).toBe(1);
    expect(result.errors.map((e) => [e.index, e.field])).toEqual([
      [1, "labels"],
      [2, "labels"],
    ]);
  });

  it.each([
    [
      "truncated protobuf",
      () => Buffer.from(snappy.compress(protoPush([{ labels: "{}", entries: [[1, "x"]] }]))).subarray(0, 6),
      "application/x-protobuf",
    ],
    ["bytes that are neither snappy nor protobuf", () => Buffer.alloc(200, 0xff), "application/x-protobuf"],
    ["JSON without streams", () => json({ stream: [] }), "application/json"],
    ["JSON with a non-object stream", () => json({ streams: [1] }), "application/json"],
    ["invalid JSON", () => Buffer.from("{streams"), "application/json"],
  ])("answers 400 for %s", async (_name, body, contentType) => {
    const fx = await refusing();
    await expect(fx.service.ingestLoki(body(), { contentType })).rejects.toBeInstanceOf(BadRequestError);
    expect(await allEntries(fx.storage)).toHaveLength(0);
  });

  it("answers 415 for an unknown Content-Type", async () => {
    const fx = await refusing();
    await expect(fx.service.ingestLoki(Buffer.from("x"), { contentType: "text/csv" })).rejects.toBeInstanceOf(
      UnsupportedMediaTypeError,
    );
  });
});
