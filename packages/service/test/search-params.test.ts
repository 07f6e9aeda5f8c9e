import { describe, expect, it } from "vitest";
import { BadRequestError, parseSearchQuery } from "../src/index.js";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const parse = (qs: string) => parseSearchQuery(new URLSearchParams(qs), NOW);

function badParam(qs: string): string | undefined {
  try {
    parse(qs);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    const e = error as BadRequestError;
    expect(e.statusCode).toBe(400);
    expect(e.message.startsWith(`${e.param}:`)).toBe(true);
    return e.param;
  }
  return undefined;
}

describe("parseSearchQuery", () => {
  it("returns an empty query for no parameters and ignores unknown ones", () => {
    expect(parse("")).toEqual({});
    expect(parse("_=123&wait=false")).toEqual({});
  });

  it("reads every parameter", () => {
    expect(
      parse(
        `q=timeout%20db*&level=warn,ERROR&level=warning&minLevel=info&source=api,worker&source=cron` +
          `&from=2026-11-26T10:00:00Z&to=${NOW}&field.user=bob&field.service.name=api&limit=50&cursor=MTIzOjQ1`,
      ),
    ).toEqual({
      text: "timeout db*",
      levels: ["warn", "error"],
      minLevel: "info",
      sources: ["api", "worker", "cron"],
      from: new Date("2026-11-26T10:00:00Z"),
      to: new Date(NOW),
      fields: { user: "bob", "service.name": "api" },
      limit: 50,
      cursor: "MTIzOjQ1",
    });
  });

  it("reads relative times as durations before now", () => {
    expect(parse("from=15m").from).toEqual(new Date(NOW - 15 * 60_000));
    expect(parse("from=now-1h&to=now")).toEqual({ from: new Date(NOW - 3_600_000), to: new Date(NOW) });
    expect(parse("from=7d").from).toEqual(new Date(NOW - 7 * 86_400_000));
  });

  it("reads an ISO time without offset as UTC", () => {
    expect(parse("from=2026-11-26T10:00:00").from).toEqual(new Date("2026-11-26T10:00:00Z"));
    expect(parse("from=2026-11-26").from).toEqual(new Date("2026-11-26T00:00:00Z"));
  });

  it("drops blank values", () => {
    expect(parse("q=%20&level=&source=,&from=")).toEqual({});
  });

  it.each([
    ["level=loud", "level"],
    ["level=info,bogus", "level"],
    ["minLevel=nope", "minLevel"],
    ["minLevel=info&minLevel=warn", "minLevel"],
    ["from=yesterday", "from"],
    ["from=2026-13-45T99:00:00Z", "from"],
    ["to=15x", "to"],
    ["from=1h&to=2h", "from"],
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=ten", "limit"],
    ["limit=1.5", "limit"],
    ["limit=-3", "limit"],
    ["cursor=not%20a%20cursor!", "cursor"],
    ["field.=x", "field."],
    ["field.a=1&field.a=2", "field.a"],
    [`q=${"x".repeat(1025)}`, "q"],
    ["q=a&q=b", "q"],
    [`source=${"s".repeat(257)}`, "source"],
  ])("a bad value is a 400 naming the parameter: %#", (qs, param) => {
    expect(badParam(qs)).toBe(param);
  });
});
