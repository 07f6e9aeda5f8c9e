// The web UI's time labels (pure functions of src/format.ts), in UTC so the test does not
// depend on the machine's time zone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatRangeEnd, formatTime, setUtc } from "../src/format";

const NOW = Date.parse("2026-11-27T12:00:00.000Z");

describe("UI time labels", () => {
  beforeAll(() => setUtc(true));
  afterAll(() => setUtc(false));

  it("shows only the time today, the day this year, and the year before that", () => {
    expect(formatTime(Date.parse("2026-11-27T09:08:07.006Z"), NOW)).toBe("09:08:07.006");
    expect(formatTime(Date.parse("2026-03-05T09:08:07.006Z"), NOW)).toBe("Mar 05 09:08:07.006");
    // the same day of another year is not "today"
    expect(formatTime(Date.parse("2025-11-27T09:08:07.006Z"), NOW)).toBe("Nov 27 2025 09:08:07.006");
  });

  it("names the year of a range end only when it is not this year", () => {
    expect(formatRangeEnd(Date.parse("2026-11-27T09:08:07Z"), NOW)).toBe("Nov 27 09:08:07 UTC");
    expect(formatRangeEnd(Date.parse("2024-02-29T23:59:59Z"), NOW)).toBe("Feb 29 2024 23:59:59 UTC");
  });
});
