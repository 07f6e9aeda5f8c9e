// The web UI's time labels (pure functions of src/format.ts), in UTC so the test does not
// depend on the machine's time zone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatRangeEnd,
  formatSkipped,
  formatTime,
  highlightSpans,
  parseDropped,
  searchTerms,
  setUtc,
} from "../src/format";

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

describe("search highlighting", () => {
  const marked = (text: string, q: string) =>
    highlightSpans(text, searchTerms(q)).map(([start, end]) => text.slice(start, end));

  it("marks whole words only, as the search matches them", () => {
    expect(marked("runtime timeout at time 3", "time")).toEqual(["time"]);
    expect(marked("Zürich office, ÉTÉ sale, completed", "zurich ete")).toEqual(["Zürich", "ÉTÉ"]);
  });

  it("marks a prefix term's words from their start", () => {
    expect(marked("runtime timeout at time 3", "time*")).toEqual(["timeout", "time"]);
  });

  it("marks a phrase or a hyphenated word across any separators", () => {
    expect(marked("payment  declined; payment-declined; paymentdeclined", '"payment declined"')).toEqual([
      "payment  declined",
      "payment-declined",
    ]);
    expect(marked("order 1 and order-1 and order-12", "order-1")).toEqual(["order 1", "order-1"]);
  });

  it("marks nothing for operators or syntax", () => {
    expect(marked("AND OR NOT", "a AND NOT b")).toEqual([]);
  });
});

describe("live tail dropped events", () => {
  it("shows a count the server capped as a lower bound, and an exact one as it is", () => {
    const capped = parseDropped('{"dropped":100000,"atLeast":true}');
    expect(capped).toEqual({ dropped: 100000, atLeast: true });
    expect(formatSkipped(capped!.dropped, capped!.atLeast)).toBe("100,000+ skipped");
    const exact = parseDropped('{"dropped":1234}');
    expect(exact).toEqual({ dropped: 1234, atLeast: false });
    expect(formatSkipped(exact!.dropped, exact!.atLeast)).toBe("1,234 skipped");
    expect(parseDropped("not json")).toBeNull();
    expect(parseDropped('{"dropped":"many"}')).toBeNull();
  });
});
