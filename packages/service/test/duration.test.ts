import { describe, expect, it } from "vitest";
import { formatDuration, formatRoughDuration } from "../src/duration.js";
import { parseByteSize, parseDuration } from "../src/index.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["15m", 900_000],
    ["12h", 43_200_000],
    ["7d", 604_800_000],
    ["2w", 1_209_600_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1500],
    [" 10S ", 10_000],
    // A bare integer is milliseconds, as in the demo's configuration and /api/stats?bucket=.
    ["60000", 60_000],
    [" 10 ", 10],
  ])("%s → %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([
    "",
    "0",
    "1.5",
    "-10",
    "99999999999999999999",
    "m",
    "5 m",
    "-5m",
    "0s",
    "0.1ms",
    "5y",
    "1h-",
    "abc",
    "1e3s",
  ])("rejects %j", (input) => {
    expect(() => parseDuration(input)).toThrow(/invalid duration/);
  });
});

describe("formatDuration", () => {
  it.each([
    [604_800_000, "7d"],
    [5_400_000, "90m"],
    [3_600_000, "1h"],
    [1500, "1500ms"],
  ])("writes %d as %j, which parseDuration reads back", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

describe("formatRoughDuration", () => {
  it.each([
    [28_800_123, "8h"],
    [5_400_000, "1.5h"],
    [754_000, "13m"],
    [97_632_000_000, "1130d"],
    [1_500, "1.5s"],
    [400, "0.4s"],
  ])("writes %d as about %j", (ms, text) => {
    expect(formatRoughDuration(ms)).toBe(text);
  });
});

describe("parseByteSize", () => {
  it.each([
    ["10mb", 10 * 1024 * 1024],
    ["512kb", 512 * 1024],
    ["1GiB", 1024 ** 3],
    ["2048", 2048],
    ["1.5kb", 1536],
    ["2tb", 2 * 1024 ** 4],
  ])("%s → %d bytes", (input, bytes) => {
    expect(parseByteSize(input)).toBe(bytes);
  });

  it.each(["", "0", "ten mb", "5pb", "-1kb", "99999999tb"])("rejects %j", (input) => {
    expect(() => parseByteSize(input)).toThrow(/invalid size/);
  });

  it.each(["1.5", "1.5b", "10.7", "0.5 B"])("rejects the fractional byte count %j", (input) => {
    expect(() => parseByteSize(input)).toThrow(/a byte count must be a whole number/);
  });

  it("Should round a fraction of a larger unit down to whole bytes", () => {
    expect(parseByteSize("1.5mb")).toBe(1_572_864);
    expect(parseByteSize("0.3kb")).toBe(307);
  });
});
