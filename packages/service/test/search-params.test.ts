import fc from "fast-check";
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
        `q=timeout%20db*&level=warn,ERROR&level=warning&source=api,worker&source=cron` +
          `&from=2026-11-26T10:00:00Z&to=${NOW}&field.user=bob&field.service.name=api&limit=50&cursor=MTIzOjQ1`,
      ),
    ).toEqual({
      text: "timeout db*",
      levels: ["warn", "error"],
      sources: ["api", "worker", "cron"],
      from: new Date("2026-11-26T10:00:00Z"),
      to: new Date(NOW),
      fields: { user: "bob", "service.name": "api" },
      limit: 50,
      cursor: "MTIzOjQ1",
    });
  });

  it("points a fields-filter typo at field.KEY", () => {
    expect(() => parse("fields.user=u_1")).toThrow(
      "fields.user: unknown parameter: a fields filter is field.KEY=VALUE (field.user)",
    );
  });

  it("reads field.KEY!=VALUE as an exclusion, repeatable, beside a filter on the same key", () => {
    expect(parse("field.route!=%2Fhealthz&field.route!=%2Fmetrics&field.route=%2Fapi&field.x!=1")).toEqual({
      fields: { route: "/api" },
      notFields: { route: ["/healthz", "/metrics"], x: ["1"] },
    });
    // what a form or URLSearchParams writes: the ! percent-encoded
    expect(parse("field.ok%21=true").notFields).toEqual({ ok: ["true"] });
    // 32 filters at most, exclusions counted
    const many = (n: number) => Array.from({ length: n }, (_, i) => `field.k${i % 3}!=${i}`).join("&");
    expect(Object.values(parse(many(32)).notFields ?? {}).flat()).toHaveLength(32);
    expect(badParam(many(33))).toBe("field.KEY");
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

  it("refuses epoch numbers that are not plausibly milliseconds, instead of searching from 1970", () => {
    // epoch seconds read as milliseconds would be January 1970: every entry, silently
    expect(() => parse("from=1732600000")).toThrow(
      'from: "1732600000" looks like epoch seconds; epoch milliseconds are expected (1732600000000)',
    );
    expect(badParam("to=20261126")).toBe("to");
    // microseconds or nanoseconds would be tens of thousands of years ahead
    expect(badParam("from=1732600000000000")).toBe("from");
    expect(badParam("from=1732600000000000000")).toBe("from");
    expect(parse("from=0").from).toEqual(new Date(0));
    expect(parse("from=100000000000").from).toEqual(new Date(1e11));
    expect(parse(`to=${NOW}`).to).toEqual(new Date(NOW));
  });

  it("refuses an ISO date that does not exist instead of rolling it over", () => {
    expect(() => parse("from=2026-02-30T00:00:00Z")).toThrow('from: "2026-02-30T00:00:00Z" is not a time');
    expect(badParam("to=2026-04-31")).toBe("to");
    expect(badParam("to=2026-11-26T23:60:00Z")).toBe("to");
    expect(parse("from=2028-02-29").from).toEqual(new Date("2028-02-29T00:00:00Z"));
  });

  it("says how to send a + offset when one arrived as a space (unencoded in the URL)", () => {
    expect(() => parse("to=2026-01-10T17:30:05+05:30")).toThrow(/send a \+hh:mm offset as %2B$/);
    expect(parse("to=2026-01-10T17:30:05%2B05:30").to).toEqual(new Date("2026-01-10T12:00:05Z"));
    expect(() => parse("to=2026-01-10T17:30:05x")).not.toThrow(/%2B/);
  });

  it("reads ISO-8601 offsets in every form the standard allows", () => {
    const at = new Date("2026-11-26T08:00:00Z");
    for (const offset of ["+02:00", "+0200", "+02"]) {
      expect(parse(new URLSearchParams({ from: `2026-11-26T10:00:00${offset}` }).toString()).from).toEqual(
        at,
      );
    }
    expect(parse("from=2026-11-26T05:00:00-03").from).toEqual(at);
  });

  it("drops blank values", () => {
    expect(parse("q=%20&level=&source=,&from=")).toEqual({});
  });

  it.each([
    ["level=loud", "level"],
    ["level=info,bogus", "level"],
    ["minLevel=nope", "minLevel"],
    ["minLevel=info&minLevel=warn", "minLevel"],
    ["fields.user=u_1", "fields.user"],
    ["field_user=u_1", "field_user"],
    ["Field.user=u_1", "Field.user"],
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
    ["field.!=x", "field.!"],
    ["field.a=1&field.a=2", "field.a"],
    [`q=${"x".repeat(1025)}`, "q"],
    ["q=a&q=b", "q"],
    ["q=*", "q"],
    ["q=pay%20*", "q"],
    ["q=**", "q"],
    ["q=%22bad", "q"],
    ["q=%22a%22%22", "q"],
    [`source=${"s".repeat(257)}`, "source"],
  ])("a bad value is a 400 naming the parameter: %#", (qs, param) => {
    expect(badParam(qs)).toBe(param);
  });
});

describe("parseSearchQuery normalizes q for FTS5", () => {
  const text = (q: string) => parse(new URLSearchParams({ q }).toString()).text;

  it.each([
    ["order-1", '"order-1"'],
    ["a:b", '"a:b"'],
    // a lone or doubled hyphen is text (one that starts a word excludes it: below)
    ["- x", '"-" x'],
    ["--verbose", '"--verbose"'],
    ["-NEAR(a b)", '"-NEAR(a b)"'],
    // an operator's name after `-` is the word it spells, excluded as `-and` would be
    ["a -AND b", '(("a") AND ("b")) NOT ("and")'],
    ["hyph -OR", '("hyph") NOT ("or")'],
    ["-NOT x", '("x") NOT ("not")'],
    ["api.example.com", '"api.example.com"'],
    ["order-1*", '"order-1"*'],
    ["GET /v1/users", 'GET "/v1/users"'],
    ["user:42 AND (db-1 OR db-2)", '"user:42" AND ("db-1" OR "db-2")'],
    ['"a b"x-y', '"a b" "x-y"'],
    ['x-y"a b"', '"x-y" "a b"'],
    ["NEAR(order-1 shipped, 5)", 'NEAR("order-1" shipped, 5)'],
    ["error, retrying", '"error," retrying'],
    ["c++ ^top", '"c++" "^top"'],
    ["getUser(id) failed", '"getUser(id)" failed'],
    ['at f(g(x), "y")', 'at "f(g(x), ""y"")"'],
    ["(retry OR fetch(url))", '(retry OR "fetch(url)")'],
    // a group side by side with anything: FTS5 alone calls these syntax errors
    ["timeout (db OR redis)", "(timeout AND (db OR redis))"],
    ["(a) b", "((a) AND b)"],
    ["(a) (b)", "((a) AND (b))"],
    ["x OR a b (c) d", "x OR (a b AND (c) AND d)"],
    ["NOT-x (a)", '("NOT-x" AND (a))'],
    ["NEAR(a b, 2) (c)", "(NEAR(a b, 2) AND (c))"],
    ["(x (a OR b))", "((x AND (a OR b)))"],
    ['"a b"(c)', '("a b" AND (c))'],
    ["(a", "(a"],
    ["(c) x (a", "(c) x (a"],
    ["(c) x NEAR(a", "(c) x NEAR(a"],
    // left as they are: FTS5 syntax a user means
    ["pay", "pay"],
    ["pay*", "pay*"],
    ['"order 1"*', '"order 1"*'],
    ["disk AND full OR x", "disk AND full OR x"],
    ["retry_count café 東京", "retry_count café 東京"],
    ['"say ""hi"""', '"say ""hi"""'],
  ])("%j → %j", (q, expected) => {
    expect(text(q)).toBe(expected);
  });

  it("is idempotent: a normalized query normalizes to itself", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", "1", "-", ":", "*", '"', "(", ")", ",", " ", "NEAR", "é") }),
        (q) => {
          let once: string | undefined;
          try {
            once = text(q);
          } catch {
            return;
          }
          if (once !== undefined) expect(text(once)).toBe(once);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("parseSearchQuery reads a NOT with nothing on its left as notText", () => {
  const parse = (q: string) => {
    const { text, notText } = parseSearchQuery(new URLSearchParams({ q }));
    return { text, notText };
  };

  it.each([
    ["NOT pay", undefined, '"pay"'],
    ["NOT pay*", undefined, '"pay"*'],
    ["NOT order-1", undefined, '"order 1"'],
    ["NOT Café", undefined, '"cafe"'],
    // words and an exclusion: FTS5's own binary NOT
    ["timeout AND NOT db", '("timeout") NOT ("db")', undefined],
    ["(NOT a) b", '("b") NOT ("a")', undefined],
    ["NOT a b", undefined, '("a") AND ("b")'],
    ["NOT a NOT b", undefined, '("a") OR ("b")'],
    ["NOT a OR NOT b", undefined, '("a") AND ("b")'],
    ["disk AND full OR NOT x", undefined, '("x") NOT (("disk") AND ("full"))'],
    ["NOT NEAR(a b, 3)", undefined, 'NEAR("a" "b", 3)'],
    // a hyphen that starts a word or phrase: the same, as log search boxes read it
    ["-healthcheck", undefined, '"healthcheck"'],
    ["timeout -db", '("timeout") NOT ("db")', undefined],
    ['-"disk full" x', '("x") NOT ("disk full")', undefined],
    ["-a -b", undefined, '("a") OR ("b")'],
    // every NOT has a left side: the query is FTS5's as it is
    ["disk NOT full", "disk NOT full", undefined],
    ["(a OR b) NOT c", "(a OR b) NOT c", undefined],
  ])("%j → text %j, notText %j", (q, text, notText) => {
    expect(parse(q)).toEqual({ text, notText });
  });

  it.each([
    ["NOT (NOT a)", /NOT \(NOT …\) cannot be searched/],
    ["a AND NOT b OR NOT c", /OR between two searches .* split it into two searches/],
    ["NOT", /syntax error/],
    ["a AND NOT", /syntax error/],
  ])("refuses %j naming q", (q, reason) => {
    expect(() => parse(q)).toThrow(BadRequestError);
    expect(() => parse(q)).toThrow(new RegExp(`^q: ${reason.source}`));
  });
});
