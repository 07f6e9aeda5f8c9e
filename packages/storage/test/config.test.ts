import { describe, expect, it } from "vitest";
import {
  ConfigError,
  LARGEST_ENTRY_FIXED_BYTES,
  largestEntryBytes,
  openLogStorage,
  resolveBatchConfig,
} from "../src/index.js";

describe("BatchConfig", () => {
  it("applies the SPEC defaults", () => {
    const config = resolveBatchConfig();
    expect(config).toMatchObject({
      url: "file:./data/batchlog.db",
      maxBatchSize: 1000,
      maxBatchDelayMs: 10,
      queueCapacity: 100_000,
      whenFull: "reject",
      writeTimeoutMs: 30_000,
      retry: { initialDelayMs: 50, maxDelayMs: 5000, maxAttempts: Number.POSITIVE_INFINITY },
      synchronous: "full",
      fullText: true,
      implementation: "batched",
    });
  });

  it("names every bad field in one ConfigError", () => {
    let error: unknown;
    try {
      resolveBatchConfig({
        url: "postgres://nope",
        maxBatchSize: 0,
        maxBatchDelayMs: -1,
        whenFull: "drop" as never,
        synchronous: "off" as never,
        retry: { initialDelayMs: 1.5 },
        bogus: true,
      } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const fields = (error as ConfigError).issues.map((i) => i.field).sort();
    expect(fields).toEqual(
      [
        "bogus",
        "maxBatchDelayMs",
        "maxBatchSize",
        "retry.initialDelayMs",
        "synchronous",
        "url",
        "whenFull",
      ].sort(),
    );
    expect((error as ConfigError).message).toMatch(/url: must start with file:/);
  });

  it("rejects a retry ceiling below its start", () => {
    expect(() => resolveBatchConfig({ retry: { initialDelayMs: 100, maxDelayMs: 10 } })).toThrow(
      /retry.maxDelayMs/,
    );
  });

  it("refuses a queue that cannot hold one largest entry (it would answer QueueFullError forever)", () => {
    const minimum = largestEntryBytes({ maxMessageBytes: 65536, maxFieldsBytes: 65536 });
    expect(minimum).toBe(6 * 65536 + 2 * 65536 + LARGEST_ENTRY_FIXED_BYTES);
    expect(() => resolveBatchConfig({ queueCapacityBytes: minimum })).not.toThrow();
    expect(() => resolveBatchConfig({ queueCapacityBytes: minimum - 1 })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ field: "queueCapacityBytes" })] }),
    );
    expect(() =>
      resolveBatchConfig({ queueCapacityBytes: 4096, maxMessageBytes: 256, maxFieldsBytes: 256 }),
    ).not.toThrow();
  });

  it("is checked by openLogStorage before anything is opened", async () => {
    await expect(openLogStorage({ queueCapacity: 0 })).rejects.toBeInstanceOf(ConfigError);
  });
});
