import { describe, expect, it } from "vitest";
import { severityToLevel } from "../src/index.js";

const BANDS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

describe("severityToLevel", () => {
  it.each(Array.from({ length: 24 }, (_, i) => i + 1))("severityNumber %d maps to its band", (n) => {
    expect(severityToLevel(n, "ignored")).toBe(BANDS[Math.floor((n - 1) / 4)]);
  });

  it("reads the JSON enum names", () => {
    expect(severityToLevel("SEVERITY_NUMBER_WARN", undefined)).toBe("warn");
    expect(severityToLevel("SEVERITY_NUMBER_ERROR3", undefined)).toBe("error");
    expect(severityToLevel("SEVERITY_NUMBER_FATAL4", undefined)).toBe("fatal");
  });

  it("falls back to severityText for 0, absent or out-of-range numbers, else info", () => {
    expect(severityToLevel(0, "WARNING")).toBe("warn");
    expect(severityToLevel(undefined, "Critical")).toBe("fatal");
    expect(severityToLevel(25, "err")).toBe("error");
    expect(severityToLevel(0, "")).toBe("info");
    expect(severityToLevel(0, "shouting")).toBe("info");
    expect(severityToLevel(undefined, undefined)).toBe("info");
  });

  it("reads OTel's short names of the finer severities from severityText", () => {
    expect(severityToLevel(0, "ERROR2")).toBe("error");
    expect(severityToLevel(undefined, "warn3")).toBe("warn");
    expect(severityToLevel(0, "FATAL4")).toBe("fatal");
    expect(severityToLevel(0, "INFO5")).toBe("info"); // not a short name: the default
    expect(severityToLevel(0, "DEBUG2")).toBe("debug");
    expect(severityToLevel(0, "ERROR1")).toBe("info");
  });
});
