import type { LogStorage } from "@batchlog/storage";
import { afterEach, describe, expect, it } from "vitest";
import { createLogService, type ServiceLogger } from "../src/index.js";
import { eventually } from "./helpers/eventually.js";
import { allEntries, json, openService, type ServiceFixture } from "./helpers/service.js";
import { IMPLEMENTATIONS, openTempStorage, type TempStorage } from "./helpers/temp-storage.js";

const HOUR = 3_600_000;

function recordingLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg = "") =>
      lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: ServiceLogger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
  return { logger, lines };
}

/** The real storage, with cleanup() calls timed to observe overlap (the database is untouched). */
function timedCleanup(storage: LogStorage) {
  const calls = { started: 0, active: 0, maxActive: 0 };
  const wrapped = new Proxy(storage, {
    get(target, prop, receiver) {
      if (prop !== "cleanup") {
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async (policy: Parameters<LogStorage["cleanup"]>[0]) => {
        calls.started++;
        calls.active++;
        calls.maxActive = Math.max(calls.maxActive, calls.active);
        try {
          await new Promise((r) => setTimeout(r, 15));
          return await target.cleanup(policy);
        } finally {
          calls.active--;
        }
      };
    },
  });
  return { wrapped, calls };
}

describe.each(IMPLEMENTATIONS)("retention on %s storage", (impl) => {
  let fx: ServiceFixture | undefined;
  let temp: TempStorage | undefined;
  afterEach(async () => {
    await fx?.dispose();
    await temp?.dispose();
    fx = undefined;
    temp = undefined;
  });

  it("keeps the newest maxEntries, first run soon after start, and logs the deletion", async () => {
    const { logger, lines } = recordingLogger();
    fx = await openService(impl, { logger });
    const ids = await fx.storage.storeMany(Array.from({ length: 100 }, (_, i) => ({ message: `m${i}` })));
    const handle = fx.service.startRetention({ maxEntries: 30, intervalMs: 60_000, initialDelayMs: 10 });
    await eventually(async () => expect(await allEntries(fx!.storage)).toHaveLength(30));
    expect((await allEntries(fx.storage)).map((e) => e.id)).toEqual(ids.slice(70));
    await eventually(() => expect(lines.find((l) => l.level === "info")?.obj.deleted).toBe(70));
    await handle.stop();
  });

  it("deletes entries older than maxAgeMs", async () => {
    const now = Date.UTC(2026, 10, 26, 12);
    fx = await openService(impl, { now: () => now });
    await fx.storage.storeMany([
      { message: "old", timestamp: now - 3 * HOUR },
      { message: "older", timestamp: now - 30 * HOUR },
      { message: "fresh", timestamp: now - HOUR / 2 },
      { message: "future", timestamp: now + HOUR },
    ]);
    const handle = fx.service.startRetention({
      maxAgeMs: 2 * HOUR,
      intervalMs: 60_000,
      initialDelayMs: 60_000,
    });
    expect(await handle.runNow()).toBe(2);
    expect((await allEntries(fx.storage)).map((e) => e.message)).toEqual(["fresh", "future"]);
    await handle.stop();
  });

  it("refuses entries already older than an age retention on every ingest route, while it runs", async () => {
    const now = Date.UTC(2026, 10, 26, 12);
    fx = await openService(impl, { now: () => now });
    const handle = fx.service.startRetention({ maxAgeMs: HOUR, intervalMs: 60_000, initialDelayMs: 60_000 });
    const twoHoursAgo = new Date(now - 2 * HOUR).toISOString();
    const native = await fx.service.ingestNative(
      json([
        { message: "native, 2 h old", timestamp: twoHoursAgo },
        { message: "native, 30 min old", timestamp: new Date(now - HOUR / 2).toISOString() },
        { message: "native, no timestamp" },
      ]),
      "application/json",
    );
    expect(native.errors).toEqual([
      {
        index: 0,
        field: "timestamp",
        code: "BATCHLOG_TOO_OLD",
        error: `timestamp: 2026-11-26T10:00:00.000Z is older than the retention period (1h); it would be deleted at the next retention run`,
      },
    ]);
    const ns = (ms: number) => `${ms}000000`;
    const loki = await fx.service.ingestLoki(
      json({
        streams: [
          {
            stream: { app: "a" },
            values: [
              [ns(now - 2 * HOUR), "loki, 2 h old"],
              [ns(now), "loki, now"],
            ],
          },
        ],
      }),
      { contentType: "application/json" },
    );
    expect(loki.errors.map((e) => [e.index, e.field])).toEqual([[0, "timestamp"]]);
    const record = (ms: number, body: string) => ({ timeUnixNano: ns(ms), body: { stringValue: body } });
    const otlp = await fx.service.ingestOtlp(
      json({
        resourceLogs: [
          {
            scopeLogs: [{ logRecords: [record(now - 2 * HOUR, "otlp, 2 h old"), record(now, "otlp, now")] }],
          },
        ],
      }),
      { contentType: "application/json" },
    );
    expect(otlp.partialSuccess).toMatchObject({ rejectedLogRecords: 1 });
    // counted apart from invalid items: a sender's clock or backfill, not a malformed request
    expect(fx.service.stats()).toMatchObject({ tooOld: 3, invalid: 0, rejected: 3 });
    await handle.stop();
    const afterStop = await fx.service.ingestNative(
      json({ message: "native, 2 h old, no retention", timestamp: twoHoursAgo }),
      "application/json",
    );
    expect(afterStop.errors).toEqual([]);
    expect((await allEntries(fx.storage)).map((e) => e.message).sort()).toEqual([
      "loki, now",
      "native, 2 h old, no retention",
      "native, 30 min old",
      "native, no timestamp",
      "otlp, now",
    ]);
  });

  it("deletes and refuses by age per level: maxAgeByLevel for the levels it names, maxAgeMs for the rest", async () => {
    const now = Date.UTC(2026, 10, 26, 12);
    fx = await openService(impl, { now: () => now });
    const stamp = (hours: number) => new Date(now - hours * HOUR).toISOString();
    await fx.storage.storeMany(
      (["debug", "info", "error"] as const).flatMap((level) =>
        [0.5, 3, 30, 100].map((hours) => ({ level, message: `${level} ${hours}h`, timestamp: stamp(hours) })),
      ),
    );
    // debug: 1 h, error: 50 h, everything else: 24 h
    const handle = fx.service.startRetention({
      maxAgeMs: 24 * HOUR,
      maxAgeByLevel: { debug: HOUR, error: 50 * HOUR },
      intervalMs: 60_000,
      initialDelayMs: 60_000,
    });
    expect(await handle.runNow()).toBe(3 + 2 + 1);
    expect((await allEntries(fx.storage)).map((e) => e.message).sort()).toEqual([
      "debug 0.5h",
      "error 0.5h",
      "error 30h",
      "error 3h",
      "info 0.5h",
      "info 3h",
    ]);
    // at ingest, each level against its own period; a level-less entry is info
    const result = await fx.service.ingestNative(
      json([
        { level: "debug", message: "debug 2h", timestamp: stamp(2) },
        { level: "error", message: "error 40h", timestamp: stamp(40) },
        { level: "warning", message: "warn 30h", timestamp: stamp(30) },
        { message: "no level 30h", timestamp: stamp(30) },
        { level: "error", message: "error 60h", timestamp: stamp(60) },
      ]),
      "application/json",
    );
    expect(result.errors.map((e) => [e.index, e.code])).toEqual([
      [0, "BATCHLOG_TOO_OLD"],
      [2, "BATCHLOG_TOO_OLD"],
      [3, "BATCHLOG_TOO_OLD"],
      [4, "BATCHLOG_TOO_OLD"],
    ]);
    expect(result.errors[0]?.error).toBe(
      `timestamp: ${stamp(2)} is older than the retention period of debug entries (1h); it would be deleted at the next retention run`,
    );
    expect(result.errors[3]?.error).toContain("of error entries (50h)");
    await handle.stop();
    expect(() =>
      fx!.service.startRetention({ maxAgeByLevel: { loud: HOUR } as never, intervalMs: 10 }),
    ).toThrow(/maxAgeByLevel.*loud/);
    expect(() => fx!.service.startRetention({ maxAgeByLevel: { debug: 0 }, intervalMs: 10 })).toThrow(
      /maxAgeByLevel\.debug/,
    );
  });

  it("keeps the database under maxBytes, deleting the oldest entries, and logs the limit", async () => {
    const { logger, lines } = recordingLogger();
    fx = await openService(impl, { logger });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const batch = Array.from({ length: 500 }, (_, j) => ({
        message: `m${i * 500 + j} ${"x".repeat(300)}`,
      }));
      ids.push(...(await fx.storage.storeMany(batch)));
    }
    // 2000 entries of ~330 bytes, with their indexes: well over 256 KiB
    const maxBytes = 256 * 1024;
    const handle = fx.service.startRetention({ maxBytes, intervalMs: 60_000, initialDelayMs: 60_000 });
    const deleted = await handle.runNow();
    // most go (the share the database is over), the oldest; some stay
    expect(deleted).toBeGreaterThan(1000);
    expect(deleted).toBeLessThan(2000);
    expect((await allEntries(fx.storage)).map((e) => e.id)).toEqual(ids.slice(deleted));
    expect(lines.find((l) => l.level === "info")?.obj).toMatchObject({ deleted, maxBytes });
    await handle.stop();
  });

  it("never overlaps runs, even when runNow is called while the timer fires", async () => {
    temp = await openTempStorage(impl);
    const { wrapped, calls } = timedCleanup(temp.storage);
    const service = createLogService({ storage: wrapped });
    await temp.storage.storeMany(Array.from({ length: 20 }, (_, i) => ({ message: `m${i}` })));
    const handle = service.startRetention({ maxEntries: 5, intervalMs: 1, initialDelayMs: 0 });
    const manual = await Promise.all([handle.runNow(), handle.runNow(), handle.runNow()]);
    await eventually(() => expect(calls.started).toBeGreaterThanOrEqual(8));
    await handle.stop();
    const startedAtStop = calls.started;
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.started).toBe(startedAtStop);
    expect(calls.maxActive).toBe(1);
    expect(calls.active).toBe(0);
    expect(manual.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(15);
    expect(await allEntries(temp.storage)).toHaveLength(5);
    await service.close();
  });

  it("logs a failed run and keeps the schedule", async () => {
    const { logger, lines } = recordingLogger();
    fx = await openService(impl, { logger });
    await fx.storage.close();
    const handle = fx.service.startRetention({ maxEntries: 1, intervalMs: 5, initialDelayMs: 0 });
    await eventually(() => expect(lines.filter((l) => l.level === "error").length).toBeGreaterThanOrEqual(2));
    expect(lines.find((l) => l.level === "error")?.msg).toMatch(/retention run failed/);
    await handle.stop();
  });

  it("validates its options", async () => {
    fx = await openService(impl);
    const service = fx.service;
    expect(() => service.startRetention({ intervalMs: 1000 })).toThrow(
      /maxAgeMs.*maxAgeByLevel.*maxEntries.*maxBytes/,
    );
    expect(() => service.startRetention({ maxBytes: 0, intervalMs: 10 })).toThrow(/maxBytes/);
    expect(() => service.startRetention({ maxEntries: 10, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => service.startRetention({ maxAgeMs: -1, intervalMs: 10 })).toThrow(/maxAgeMs/);
    expect(() => service.startRetention({ maxEntries: 1.5, intervalMs: 10 })).toThrow(/maxEntries/);
  });

  it("service.close() stops retention", async () => {
    temp = await openTempStorage(impl);
    const { wrapped, calls } = timedCleanup(temp.storage);
    const service = createLogService({ storage: wrapped });
    service.startRetention({ maxEntries: 5, intervalMs: 1, initialDelayMs: 0 });
    await eventually(() => expect(calls.started).toBeGreaterThanOrEqual(2));
    await service.close();
    const after = calls.started;
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.started).toBe(after);
  });
});
