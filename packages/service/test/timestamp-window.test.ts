import { afterEach, describe, expect, it } from "vitest";
import { createLogService } from "../src/index.js";
import { allEntries, openService, type ServiceFixture } from "./helpers/service.js";

const MINUTE = 60_000;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const ns = (ms: number) => `${ms}000000`;

describe.each(["batched", "direct"] as const)("entries stamped ahead of the clock (%s)", (impl) => {
  let fx: ServiceFixture | undefined;
  afterEach(async () => {
    await fx?.dispose();
    fx = undefined;
  });

  it("refuses, with maxFutureMs, entries stamped further ahead on every ingest route, and stores the rest", async () => {
    const now = Date.UTC(2026, 10, 26, 12);
    const service = await openService(impl, { now: () => now, maxFutureMs: 10 * MINUTE });
    fx = service;
    // a UTC+8 host sending its local time without an offset: 8 h ahead once read as UTC
    const native = await service.service.ingestNative(
      json([
        { message: "native, local time without offset", timestamp: "2026-11-26T20:00:00" },
        { message: "native, 9 min ahead", timestamp: new Date(now + 9 * MINUTE).toISOString() },
        { message: "native, no timestamp" },
      ]),
      "application/json",
    );
    expect(native.errors).toEqual([
      {
        index: 0,
        field: "timestamp",
        code: "BATCHLOG_TOO_NEW",
        error:
          "timestamp: 2026-11-26T20:00:00.000Z is 8h ahead of the server's clock (at most 10m is taken); check the sender's clock and time zone: a time without an offset is UTC",
      },
    ]);
    const loki = await service.service.ingestLoki(
      json({
        streams: [
          {
            stream: { app: "a" },
            values: [
              [ns(now + 11 * MINUTE), "loki, 11 min ahead"],
              [ns(now), "loki, now"],
            ],
          },
        ],
      }),
      { contentType: "application/json" },
    );
    expect(loki.errors).toMatchObject([{ index: 0, code: "BATCHLOG_TOO_NEW", error: /is 11m ahead/ }]);
    const record = (ms: number, body: string) => ({ timeUnixNano: ns(ms), body: { stringValue: body } });
    const otlp = await service.service.ingestOtlp(
      json({
        resourceLogs: [
          {
            scopeLogs: [
              { logRecords: [record(now + 3 * 86_400_000, "otlp, 3 days ahead"), record(now, "otlp, now")] },
            ],
          },
        ],
      }),
      { contentType: "application/json" },
    );
    expect(otlp.partialSuccess).toMatchObject({ rejectedLogRecords: 1, errorMessage: /is 3d ahead/ });
    expect(service.service.stats()).toMatchObject({ tooNew: 3, tooOld: 0, invalid: 0, rejected: 3 });
    expect((await allEntries(service.storage)).map((e) => e.message).sort()).toEqual([
      "loki, now",
      "native, 9 min ahead",
      "native, no timestamp",
      "otlp, now",
    ]);
  });

  it("takes entries as sent without maxFutureMs", async () => {
    const now = Date.UTC(2026, 10, 26, 12);
    fx = await openService(impl, { now: () => now });
    const result = await fx.service.ingestNative(
      json({ message: "a day ahead", timestamp: new Date(now + 86_400_000).toISOString() }),
      "application/json",
    );
    expect(result.errors).toEqual([]);
  });
});

it("refuses a maxFutureMs that is not a positive integer", async () => {
  const fx = await openService("batched");
  try {
    for (const maxFutureMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => createLogService({ storage: fx.storage, maxFutureMs })).toThrow(/maxFutureMs/);
    }
  } finally {
    await fx.dispose();
  }
});
