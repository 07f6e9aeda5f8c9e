import { QueueFullError, StorageClosedError } from "@batchlog/storage";
import { createClient } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../src/index.js";
import { eventually } from "./helpers/eventually.js";
import { allEntries, json, openService, type ServiceFixture, useServiceFixtures } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";

describe.each(IMPLEMENTATIONS)("ingestNative on %s storage", (impl) => {
  const { open, refusing } = useServiceFixtures(impl);
  let fx: ServiceFixture;

  it("stores one JSON object with every field and reads it back", async () => {
    fx = await open();
    const result = await fx.service.ingestNative(
      json({
        timestamp: "2026-11-26T10:00:00.123Z",
        level: "WARNING",
        source: "api",
        message: "disk almost full",
        fields: { disk: "/dev/sda1", pct: 91, tags: ["a", "b"] },
      }),
      "application/json; charset=utf-8",
    );
    expect(result.errors).toEqual([]);
    expect(result.accepted).toBe(1);
    const [entry] = await allEntries(fx.storage);
    expect(result.ids).toEqual([entry?.id]);
    expect(entry).toMatchObject({
      timestamp: new Date("2026-11-26T10:00:00.123Z"),
      level: "warn",
      source: "api",
      message: "disk almost full",
      fields: { disk: "/dev/sda1", pct: 91, tags: ["a", "b"] },
    });
  });

  it("reads ISO timestamps as search parameters do: offsets in every ISO form, and no day that does not exist", async () => {
    fx = await open();
    const items = [
      { message: "offset", timestamp: "2026-11-26T10:00:00+0530" },
      { message: "short offset", timestamp: "2026-11-26 10:00:00.5-02" },
      { message: "no offset is UTC", timestamp: "2026-11-26T10:00" },
      { message: "rolls over", timestamp: "2026-02-30T10:00:00Z" },
      { message: "no such hour", timestamp: "2026-11-26T25:00:00Z" },
    ];
    const result = await fx.service.ingestNative(json(items), "application/json");
    expect(result.errors.map((e) => [e.index, e.field])).toEqual([
      [3, "timestamp"],
      [4, "timestamp"],
    ]);
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => [e.message, e.timestamp.toISOString()])).toEqual([
      ["offset", "2026-11-26T04:30:00.000Z"],
      ["short offset", "2026-11-26T12:00:00.500Z"],
      ["no offset is UTC", "2026-11-26T10:00:00.000Z"],
    ]);
  });

  it("stores the good items of an array and reports each bad one by index and field", async () => {
    fx = await open();
    const items = [
      { message: "ok 0", level: "err" },
      { message: 42 },
      { message: "ok 2", timestamp: 1764150000000, source: "worker" },
      { message: "bad level", level: "loud" },
      { message: "", fields: { only: "fields" } },
      { message: "" },
      "not an object",
      { message: "x", source: "" },
      { message: "x", source: "s".repeat(257) },
      { message: "x", fields: ["array"] },
      { message: "x", extra: true },
      { message: "ok 11", timestamp: "1764150000001", level: "Critical" },
      { message: "x", timestamp: "yesterday" },
      { message: "ok 13", source: "s".repeat(256), fields: null, level: null },
    ];
    const result = await fx.service.ingestNative(json(items), "application/json");
    const good = [0, 2, 4, 11, 13];
    expect(result.accepted).toBe(good.length);
    expect(result.errors.map((e) => [e.index, e.field])).toEqual([
      [1, "message"],
      [3, "level"],
      [5, "message"],
      [6, "entry"],
      [7, "source"],
      [8, "source"],
      [9, "fields"],
      [10, "extra"],
      [12, "timestamp"],
    ]);
    for (const e of result.errors) expect(e.error.length).toBeGreaterThan(5);
    expect(result.ids.map((id, i) => (id === null ? null : i))).toEqual(
      items.map((_, i) => (good.includes(i) ? i : null)),
    );
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => e.message)).toEqual(["ok 0", "ok 2", "", "ok 11", "ok 13"]);
    expect(stored.map((e) => e.id)).toEqual(result.ids.filter((id) => id !== null));
    expect(stored[0]?.level).toBe("error");
    expect(stored[1]?.timestamp.getTime()).toBe(1764150000000);
    expect(stored[3]).toMatchObject({ level: "fatal", timestamp: new Date(1764150000001) });
  });

  it("says a nanosecond count (beyond 2^53, kept as its digits) looks like nanoseconds", async () => {
    fx = await open();
    const body = Buffer.from('[{"message":"ns","timestamp":1764237600000123456}]');
    const result = await fx.service.ingestNative(body, "application/json");
    expect(result.errors.map((e) => e.error)).toEqual([
      expect.stringContaining("looks like epoch microseconds or nanoseconds"),
    ]);
  });

  it("refuses a numeric timestamp that is not plausibly epoch milliseconds, saying which unit it looks like", async () => {
    fx = await open();
    const items = [
      { message: "seconds", timestamp: 1732600000 },
      { message: "seconds, Python's time.time()", timestamp: 1732600000.25 },
      { message: "seconds as digits", timestamp: "1732600000" },
      { message: "microseconds", timestamp: 1764237600000123 },
      { message: "zero", timestamp: 0 },
      { message: "negative", timestamp: -5 },
      { message: "ok: milliseconds", timestamp: 1732600000000 },
      { message: "ok: an ISO time before 1973", timestamp: "1969-07-20T20:17:40Z" },
    ];
    const result = await fx.service.ingestNative(json(items), "application/json");
    expect(result.errors.map((e) => [e.index, e.field, e.error])).toEqual([
      [
        0,
        "timestamp",
        expect.stringContaining("looks like epoch seconds; epoch milliseconds are expected (1732600000000)"),
      ],
      [
        1,
        "timestamp",
        expect.stringContaining("looks like epoch seconds; epoch milliseconds are expected (1732600000250)"),
      ],
      [2, "timestamp", expect.stringContaining("looks like epoch seconds")],
      [3, "timestamp", expect.stringContaining("looks like epoch microseconds or nanoseconds")],
      [4, "timestamp", expect.stringContaining("is not epoch milliseconds of a plausible time")],
      [5, "timestamp", expect.stringContaining("is not epoch milliseconds of a plausible time")],
    ]);
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => [e.message, e.timestamp.toISOString()])).toEqual([
      ["ok: milliseconds", "2024-11-26T05:46:40.000Z"],
      ["ok: an ISO time before 1973", "1969-07-20T20:17:40.000Z"],
    ]);
  });

  it("names a time outside the storable range in ISO-8601 and gives the range", async () => {
    fx = await open();
    const result = await fx.service.ingestNative(
      json([{ message: "too late", timestamp: "2200-01-01T00:00:00Z" }]),
      "application/json",
    );
    expect(result.errors).toEqual([
      expect.objectContaining({
        index: 0,
        field: "timestamp",
        error: expect.stringContaining("2200-01-01T00:00:00.000Z (storable: 1840-01-01 to 2100-01-01)"),
      }),
    ]);
  });

  it("enforces the 64 KiB message and fields limits in bytes, not characters", async () => {
    fx = await open();
    const euro = "€"; // 3 bytes in UTF-8
    const items = [
      { message: euro.repeat(21845) }, // 65535 bytes
      { message: `${euro.repeat(21845)}ab` }, // 65537 bytes
      { message: "f", fields: { k: "x".repeat(65536 - 8) } }, // {"k":"…"} = 65536 bytes
      { message: "f", fields: { k: "x".repeat(65536 - 7) } },
      { message: "f", fields: { k: euro.repeat(21842) } }, // 8 + 65526 bytes, 21850 characters
      { message: "f", fields: { k: euro.repeat(21843) } }, // 65537 bytes
    ];
    const result = await fx.service.ingestNative(json(items), undefined);
    expect(result.errors.map((e) => [e.index, e.field])).toEqual([
      [1, "message"],
      [3, "fields"],
      [5, "fields"],
    ]);
    expect(result.accepted).toBe(3);
  });

  it("reads NDJSON line by line; a malformed line is an item error", async () => {
    fx = await open();
    const body = Buffer.from(
      '{"message":"one"}\n\n{"message":"two","level":"debug"}\r\n{not json}\n{"message":"four"}\n',
    );
    const result = await fx.service.ingestNative(body, "application/x-ndjson");
    expect(result.accepted).toBe(3);
    expect(result.errors).toHaveLength(1);
    // the third item, on the body's fourth line (a blank line before it)
    expect(result.errors[0]).toMatchObject({ index: 2, lineNumber: 4 });
    expect(result.errors[0]?.error).toMatch(/not valid JSON/);
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => [e.message, e.level])).toEqual([
      ["one", "info"],
      ["two", "debug"],
      ["four", "info"],
    ]);
  });

  it("reads JSON text sequences (application/json-seq): a record separator before each record", async () => {
    fx = await open();
    const body = Buffer.from(
      '\x1e{"message":"seq1"}\n\x1e{"message":"seq2","fields":{"__proto__":"kept"}}\n',
    );
    const result = await fx.service.ingestNative(body, "application/json-seq");
    expect(result.errors).toEqual([]);
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => [e.message, JSON.stringify(e.fields)])).toEqual([
      ["seq1", "null"],
      ["seq2", '{"__proto__":"kept"}'],
    ]);
  });

  it("refuses fields nested deeper than a large body may nest, whatever the body's size, with a clear item error", async () => {
    fx = await open();
    // JSON text built by hand: JSON.stringify itself runs out of stack on the deepest one
    const entry = (depth: number) =>
      `{"message":"${depth}","fields":${'{"a":'.repeat(depth)}"leaf"${"}".repeat(depth)}}`;
    // 600: SQLite would store it; 2000: past SQLite's JSON depth (a CHECK failure before);
    // 5000: past JSON.stringify's stack here ("not serializable" before); the body stays under 64 KiB
    const body = Buffer.from(`[${[200, 600, 2000, 5000].map(entry).join(",")}]`);
    const result = await fx.service.ingestNative(body, "application/json");
    expect(result.accepted).toBe(1);
    expect(result.errors).toEqual(
      [1, 2, 3].map((index) => ({
        index,
        field: "fields",
        error: "fields: nested more than 256 levels deep",
        code: "BATCHLOG_VALIDATION",
      })),
    );
    expect((await allEntries(fx.storage)).map((e) => e.message)).toEqual(["200"]);
  });

  it("reports entries the storage itself refuses (its own limits) as item errors", async () => {
    fx = await open({}, { maxMessageBytes: 100 });
    const items = [{ message: "short" }, { message: "x".repeat(101) }, { message: "also short" }];
    const result = await fx.service.ingestNative(json(items), "application/json");
    expect(result.accepted).toBe(2);
    expect(result.errors).toMatchObject([{ index: 1, field: "message", code: "BATCHLOG_VALIDATION" }]);
    expect(result.errors[0]?.retryable).toBeUndefined();
    expect((await allEntries(fx.storage)).map((e) => e.message)).toEqual(["short", "also short"]);
  });

  it("recognises NDJSON sent as application/json or without a Content-Type", async () => {
    fx = await open();
    const body = Buffer.from('{"message":"a"}\n{"message":"b"}');
    expect((await fx.service.ingestNative(body, "application/json")).accepted).toBe(2);
    expect((await fx.service.ingestNative(body, undefined)).accepted).toBe(2);
    expect(await allEntries(fx.storage)).toHaveLength(4);
  });

  it.each([
    ["", "application/json", BadRequestError],
    ["   \n", undefined, BadRequestError],
    ['{"message": "unterminated', "application/json", BadRequestError],
    ["42", "application/json", BadRequestError],
    ['"just a string"', undefined, BadRequestError],
    ['{"message":"x"}', "application/xml", UnsupportedMediaTypeError],
    ['{"message":"x"}', "multipart/form-data; boundary=x", UnsupportedMediaTypeError],
  ])("refuses the whole body %j (%s)", async (body, type, errorClass) => {
    const fx = await refusing();
    await expect(fx.service.ingestNative(Buffer.from(body), type)).rejects.toBeInstanceOf(errorClass);
    expect(await allEntries(fx.storage)).toHaveLength(0);
  });

  it("an empty array stores nothing and is not an error", async () => {
    fx = await open();
    expect(await fx.service.ingestNative(Buffer.from("[]"), "application/json")).toEqual({
      ids: [],
      errors: [],
      accepted: 0,
    });
  });

  it("throws the storage error when nothing could be stored because storage is closed", async () => {
    fx = await open();
    await fx.storage.close();
    await expect(
      fx.service.ingestNative(json([{ message: "a" }, { message: 1 }]), "application/json"),
    ).rejects.toBeInstanceOf(StorageClosedError);
  });

  it("wait: false answers once enqueued and the entries still commit", async () => {
    fx = await open();
    const items = Array.from({ length: 200 }, (_, i) => ({ message: `async ${i}` }));
    items.push({ message: 7 } as never);
    const result = await fx.service.ingestNative(json(items), "application/json", { wait: false });
    expect(result.accepted).toBe(200);
    expect(result.ids.every((id) => id === null)).toBe(true);
    expect(result.errors).toMatchObject([{ index: 200, field: "message" }]);
    await fx.service.close();
    expect(fx.service.stats()).toMatchObject({
      inFlight: 0,
      lateFailures: 0,
      accepted: 200,
      rejected: 1,
      invalid: 1,
    });
    const stored = await allEntries(fx.storage);
    expect(stored.map((e) => e.message)).toEqual(items.slice(0, 200).map((i) => i.message));
  });
});

describe("ingestNative on a full batched queue", () => {
  let fx: ServiceFixture;
  afterEach(async () => fx?.dispose());

  it.each([true, false])(
    "wait: %s — throws QueueFullError (for a 429) when the request does not fit whole, storing none of it, and stores it once there is room",
    async (wait) => {
      fx = await openService("batched", {}, { queueCapacity: 5, whenFull: "reject", maxBatchDelayMs: 100 });
      const first = fx.service.ingestNative(
        json([1, 2, 3, 4].map((i) => ({ message: `first ${i}` }))),
        "application/json",
        { wait },
      );
      const items = [{ message: 1 }, { message: "second a" }, { message: "second b" }];
      const error = await fx.service.ingestNative(json(items), "application/json", { wait }).catch((e) => e);
      expect(error).toBeInstanceOf(QueueFullError);
      expect(error.retryAfterMs).toBeGreaterThan(0);
      expect((await first).accepted).toBe(4);
      await eventually(() => expect(fx.storage.stats().queueDepth).toBe(0));
      const retried = await fx.service.ingestNative(json(items), "application/json", { wait });
      expect(retried).toMatchObject({ accepted: 2, errors: [{ index: 0, field: "message" }] });
      await fx.service.close();
      // nothing of the refused request was stored: the retry cannot have duplicated it
      expect((await allEntries(fx.storage)).map((e) => e.message)).toEqual([
        "first 1",
        "first 2",
        "first 3",
        "first 4",
        "second a",
        "second b",
      ]);
    },
  );

  it("refuses with 413 a request holding more valid entries than the whole queue", async () => {
    fx = await openService("batched", {}, { queueCapacity: 5, whenFull: "reject" });
    const items = Array.from({ length: 6 }, (_, i) => ({ message: `m${i}` }));
    const error = await fx.service.ingestNative(json(items), "application/json").catch((e) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ statusCode: 413, limitEntries: 5 });
    expect(
      (await fx.service.ingestNative(json([{ message: 0 }, ...items.slice(1)]), undefined)).accepted,
    ).toBe(5);
  });

  it.each([true, false])(
    "wait: %s — refuses with 413 a request larger in bytes than the whole queue (a 429 would repeat forever)",
    async (wait) => {
      fx = await openService(
        "batched",
        {},
        { queueCapacityBytes: 12_000, maxMessageBytes: 1024, maxFieldsBytes: 256, whenFull: "reject" },
      );
      const items = Array.from({ length: 40 }, (_, i) => ({ message: `${i} ${"y".repeat(300)}` }));
      const error = await fx.service.ingestNative(json(items), "application/json", { wait }).catch((e) => e);
      expect(error).toBeInstanceOf(PayloadTooLargeError);
      expect(error).toMatchObject({ statusCode: 413 });
      expect(error.message).toMatch(
        /^request larger than the whole queue \(.* KiB of entries; queueCapacityBytes 12 KiB\): split it$/,
      );
      await fx.service.close();
      expect(await allEntries(fx.storage)).toEqual([]);
    },
  );

  it("wait: false refuses with 413 a request holding more valid entries than the whole queue", async () => {
    fx = await openService("batched", {}, { queueCapacity: 3, whenFull: "reject" });
    const items = Array.from({ length: 10 }, (_, i) => ({ message: `m${i}` }));
    const error = await fx.service
      .ingestNative(json(items), "application/json", { wait: false })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    await fx.service.close();
    expect(await allEntries(fx.storage)).toEqual([]);
  });

  it("wait: false logs and counts entries that fail after the answer, once per request", async () => {
    const { warnings, logger } = recordWarnings();
    fx = await openService("batched", { logger }, { writeTimeoutMs: 100, busyTimeoutMs: 10 });
    // Another connection holds the write lock, so the batch cannot commit in time.
    const release = await holdWriteLock(fx.path);
    try {
      const items = Array.from({ length: 10 }, (_, i) => ({ message: `late ${i}` }));
      const result = await fx.service.ingestNative(json(items), "application/json", { wait: false });
      expect(result).toMatchObject({ accepted: 10, errors: [] });
      await eventually(() => expect(fx.service.stats().lateFailures).toBe(10));
      // A timeout that lands while the batch's attempt is in flight does not withdraw it: that
      // attempt could still commit if the lock were released now. Once the queue has dropped the
      // expired entries (after that attempt failed), nothing is left to write them.
      await eventually(() => expect(fx.storage.stats().queueDepth).toBe(0));
    } finally {
      await release();
    }
    await fx.service.close();
    expect(fx.service.stats()).toMatchObject({ lateFailures: 10, inFlight: 0 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.obj).toMatchObject({ count: 10, code: "BATCHLOG_WRITE_TIMEOUT" });
    expect(await allEntries(fx.storage)).toHaveLength(0);
  });

  it("wait: false logs late failures of many requests once per 10 s, not a line per request", async () => {
    const { warnings, logger } = recordWarnings();
    fx = await openService("batched", { logger }, { writeTimeoutMs: 100, busyTimeoutMs: 10 });
    const release = await holdWriteLock(fx.path);
    try {
      for (let r = 0; r < 4; r++) {
        const items = [{ message: `late ${r}a` }, { message: `late ${r}b` }];
        expect(await fx.service.ingestNative(json(items), "application/json", { wait: false })).toMatchObject(
          {
            accepted: 2,
          },
        );
      }
      await eventually(() => expect(fx.service.stats().lateFailures).toBe(8));
    } finally {
      await release();
    }
    await fx.service.close();
    const lines = warnings.filter((w) => w.msg.includes("wait=false failed to store"));
    expect(lines, JSON.stringify(lines)).toHaveLength(1);
  });
});

/** A service logger that keeps its warnings (the other levels are dropped). */
function recordWarnings() {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const noop = () => {};
  const logger = {
    debug: noop,
    info: noop,
    error: noop,
    warn: (obj: object, msg = "") => warnings.push({ obj: obj as Record<string, unknown>, msg }),
  };
  return { warnings, logger };
}

/** Takes the database's write lock from another connection; the returned function releases it. */
async function holdWriteLock(path: string): Promise<() => Promise<void>> {
  const blocker = createClient({ url: `file:${path}` });
  const lock = await blocker.transaction("write");
  await lock.execute("DELETE FROM log_entries WHERE id < 0");
  return async () => {
    await lock.rollback();
    blocker.close();
  };
}
