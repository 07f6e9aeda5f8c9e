import type { LogEntry } from "@batchlog/storage";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError, compileTailFilter } from "../src/index.js";
import { compileTextMatch } from "../src/text-match.js";
import { tokenizeUnicode61 } from "../src/unicode61.js";
import { allEntries, openService, type ServiceFixture } from "./helpers/service.js";

// The live tail must deliver exactly what a search finds. The judge is the storage's own FTS5
// index: every query runs through the service's search (real storage on a temp file) and through
// the tail's matcher over the same messages, and both must accept or reject it alike and, when
// they accept it, pick the same messages.

const WORDS = [
  "pay",
  "payment",
  "paymentservice",
  "repay",
  "loan",
  "order",
  "1",
  "order-1",
  "orders",
  "api",
  "api.example.com",
  "user:42",
  "user",
  "42",
  "retry_count",
  "Café",
  "cafe",
  "CAFÉ",
  "naïve",
  "ǖber",
  "straße",
  "ΟΔΟΣ",
  "οδοσ",
  "東京",
  "e\u0301cole",
  "école",
  "x",
  "X",
  "disk",
  "full",
  "restarted",
  "timeout",
  "db",
  "db-1",
  "NOT",
  "and",
  "or",
  "near",
  "NEAR",
  "a",
  "b",
  "c",
];

const SEPARATORS = [" ", " ", " ", " ", "-", ":", ".", ", ", " / ", "\t", "_", "(", '"', "*"];

/** A deterministic corpus from WORDS and SEPARATORS (mulberry32), plus the messages of the review. */
function corpus(count: number): string[] {
  let state = 7;
  const next = (n: number) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const messages = [
    "paymentservice restarted",
    "repay loan",
    "pay invoice 7",
    "order-1 shipped",
    "order 1 shipped",
    "1 order",
    "a:b c",
    "GET api.example.com/v1 user:42 retry_count=3",
    "the DISK FULL alarm",
    "",
    "Café naïve ΟΔΟΣ 東京 e\u0301cole",
  ];
  for (let i = messages.length; i < count; i++) {
    const length = 1 + next(12);
    let message = "";
    for (let w = 0; w < length; w++) {
      message += (w === 0 ? "" : (SEPARATORS[next(SEPARATORS.length)] as string)) + WORDS[next(WORDS.length)];
    }
    messages.push(message);
  }
  return messages;
}

const word = fc.constantFrom(...WORDS);
const prefix = word.map((w) => `${w.slice(0, Math.max(1, Math.ceil(w.length / 2)))}*`);
const phrase = fc
  .tuple(fc.array(word, { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([ws, star]) => `"${ws.join(" ")}"${star ? "*" : ""}`);
const near = fc
  .tuple(fc.array(fc.oneof(word, prefix, phrase), { minLength: 1, maxLength: 3 }), fc.option(fc.nat(4)))
  .map(([ps, d]) => `NEAR(${ps.join(" ")}${d === null ? "" : `, ${d}`})`);
const atom = fc.oneof({ weight: 4, arbitrary: word }, prefix, phrase, near);

/**
 * Well-formed queries: atoms and parenthesized groups side by side, joined by AND/OR/NOT, grouped
 * in parentheses.
 */
const { expression } = fc.letrec((tie) => ({
  expression: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.array(atom, { minLength: 1, maxLength: 3 }).map((as) => as.join(" ")),
    fc
      .array(
        fc.oneof(
          atom,
          tie("expression").map((e) => `(${e})`),
        ),
        { minLength: 2, maxLength: 3 },
      )
      .map((parts) => parts.join(" ")),
    fc
      .tuple(tie("expression"), fc.constantFrom("AND", "OR", "NOT"), tie("expression"))
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    tie("expression").map((e) => `(${e})`),
  ),
}));

/** Queries in which a NOT has nothing on its left: "every message but …". */
const negated = fc.oneof(
  expression.map((e) => `NOT ${e}`),
  fc.tuple(expression, expression).map(([a, b]) => `${a} AND NOT ${b}`),
  fc.tuple(expression, expression).map(([a, b]) => `NOT ${a} NOT ${b}`),
  fc.tuple(expression, expression).map(([a, b]) => `NOT ${a} OR ${b}`),
  fc.tuple(expression, expression).map(([a, b]) => `(NOT ${a}) ${b}`),
  fc.tuple(expression, expression).map(([a, b]) => `(NOT ${a}) OR (NOT ${b})`),
);

/** Anything a user might type: query pieces and punctuation glued together, mostly invalid. */
const soup = fc
  .array(
    fc.oneof(
      word,
      fc.constantFrom(
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "(",
        ")",
        '"',
        "*",
        ",",
        "-",
        ":",
        "^",
        "+",
        "{",
        "}",
        "'",
        "3",
      ),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .chain((pieces) =>
    fc
      .array(fc.constantFrom("", " ", " "), { minLength: pieces.length, maxLength: pieces.length })
      .map((gaps) => pieces.map((p, i) => `${gaps[i]}${p}`).join("")),
  );

type Outcome = { rejected: string } | { ids: number[] };

describe("live-tail text matching is the search's FTS5 matching", () => {
  let fx: ServiceFixture;
  let entries: LogEntry[];

  beforeAll(async () => {
    fx = await openService("batched");
    await fx.storage.storeMany(corpus(250).map((message) => ({ message, fields: { n: 1 } })));
    entries = await allEntries(fx.storage);
  });
  afterAll(async () => fx.dispose());

  const params = (q: string) => new URLSearchParams({ q, limit: "1000" });

  async function searched(q: string): Promise<Outcome> {
    try {
      const page = await fx.service.search(params(q));
      expect(page.nextCursor).toBeUndefined();
      return { ids: page.entries.map((e) => e.id).sort((a, b) => a - b) };
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error;
      return { rejected: error.param ?? "" };
    }
  }

  function tailed(q: string): Outcome {
    try {
      const filter = compileTailFilter(fx.service.parseSearchQuery(params(q)));
      return { ids: entries.filter(filter).map((e) => e.id) };
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error;
      return { rejected: error.param ?? "" };
    }
  }

  /** What the searches answered, so a run can show it exercised rejections, misses and matches. */
  const seen = { rejected: 0, none: 0, some: 0 };
  const agree = async (q: string): Promise<void> => {
    const found = await searched(q);
    if ("rejected" in found) seen.rejected++;
    else if (found.ids.length === 0) seen.none++;
    else seen.some++;
    expect(tailed(q), JSON.stringify(q)).toEqual(found);
  };

  it.each([
    "pay",
    "pay*",
    "Pay OR loan",
    "order-1",
    "order-1*",
    "a:b",
    "-x",
    "api.example.com",
    "user:42",
    "retry_count",
    "cafe",
    "CAFE",
    "ecole",
    "οδοσ",
    "東京",
    '"order 1"',
    '"disk full"',
    "disk NOT full",
    "disk OR full pay",
    "disk AND full OR pay NOT loan",
    "NEAR(order shipped, 0)",
    "NEAR(order shipped)",
    "pay ^loan",
    "pay + loan",
    '"" OR pay',
    "pay AND -",
    "- pay",
    '"abc"*',
    "(pay OR loan) NOT repay",
    "pay(invoice 7)", // a call-like word is a phrase
    "foo(bar)",
    "(pay) loan", // a group side by side with a word is an AND
    "pay (loan OR order) 1",
    "(pay) (loan)",
  ])("agrees with search on %j", agree);

  it("reads a group side by side with a word as AND, where FTS5 alone reports a syntax error", async () => {
    const and = await searched("order AND (shipped OR 1)");
    expect("ids" in and && and.ids.length).toBeGreaterThan(2);
    expect(await searched("order (shipped OR 1)")).toEqual(and);
    expect(await searched("(shipped OR 1) order")).toEqual(and);
  });

  it("tests NEAR in one pass over the message: 32 phrases against 16,000 repeated words", () => {
    // trying every phrase start against every other was quadratic: this line, one entry, held
    // the event loop (and every live tail with such a q) for minutes
    const near = compileTextMatch(`NEAR(${Array(32).fill("a").join(" ")} b, 0)`);
    expect(near(`${"a ".repeat(8000)}x ${"b ".repeat(8000)}`)).toBe(false);
    expect(near(`${"a ".repeat(8000)}${"b ".repeat(8000)}`)).toBe(true);
    expect(compileTextMatch("NEAR(a b, 1)")("a x b")).toBe(true);
    expect(compileTextMatch("NEAR(a b, 0)")("a x b")).toBe(false);
  });

  it("does not match inside words: q=pay finds neither 'paymentservice restarted' nor 'repay loan'", () => {
    const match = compileTailFilter({ text: "pay" });
    const messages = entries.filter(match).map((e) => e.message);
    expect(messages).toContain("pay invoice 7");
    expect(messages).not.toContain("paymentservice restarted");
    expect(messages).not.toContain("repay loan");
  });

  it.each([
    '"bad',
    "AND",
    "*",
    "pay *",
    "NOT",
    "pay AND NOT",
    "(pay",
    "pay)",
    "(pay) OR",
    "foo(bar",
    "NEAR(a b, x)",
  ])("rejects %j as search does", async (q) => {
    expect(await searched(q)).toEqual({ rejected: "q" });
    await agree(q);
  });

  it("agrees with search on generated well-formed queries", async () => {
    Object.assign(seen, { rejected: 0, none: 0, some: 0 });
    await fc.assert(fc.asyncProperty(expression, agree), { numRuns: 1500, seed: 20_261_126 });
    expect(seen.some).toBeGreaterThan(500);
    expect(seen.none).toBeGreaterThan(100);
  });

  // The storage gets a bare NOT as `notText` beside `text`; the judge of what that pair means is
  // the query's own tree, with the missing left side read as every message.
  it.each([
    ["NOT pay", (words: string[]) => !words.includes("pay")],
    ["NOT pay NOT loan", (words: string[]) => !words.includes("pay") && !words.includes("loan")],
    ["order AND NOT 1", (words: string[]) => words.includes("order") && !words.includes("1")],
    ["-pay -loan", (words: string[]) => !words.includes("pay") && !words.includes("loan")],
    ["order -1", (words: string[]) => words.includes("order") && !words.includes("1")],
  ])("reads %j as every message but", async (q, expected) => {
    const found = await searched(q);
    const wanted = entries.filter((e) => expected(tokenizeUnicode61(e.message))).map((e) => e.id);
    expect(wanted.length).toBeGreaterThan(10);
    expect(wanted.length).toBeLessThan(entries.length);
    expect(found).toEqual({ ids: wanted });
    await agree(q);
  });

  it("reads generated queries with a bare NOT as their tree does, and the tail agrees", async () => {
    Object.assign(seen, { rejected: 0, none: 0, some: 0 });
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(negated, async (q) => {
        await agree(q);
        const found = await searched(q);
        let oracle: (message: string) => boolean;
        try {
          oracle = compileTextMatch(q, { bareNot: true });
        } catch {
          expect(found).toEqual({ rejected: "q" });
          return;
        }
        if ("rejected" in found) {
          refused++; // OR between two halves that each need words (splitNegation says why)
          return;
        }
        expect(found.ids, JSON.stringify(q)).toEqual(
          entries.filter((e) => oracle(e.message)).map((e) => e.id),
        );
      }),
      { numRuns: 600, seed: 20_261_128 },
    );
    expect(seen.some).toBeGreaterThan(300);
    expect(refused).toBeLessThan(120);
  });

  it("agrees with search on generated query soup (accepting and rejecting alike)", async () => {
    Object.assign(seen, { rejected: 0, none: 0, some: 0 });
    await fc.assert(fc.asyncProperty(soup, agree), { numRuns: 1500, seed: 20_261_127 });
    expect(seen.rejected).toBeGreaterThan(300);
    expect(seen.some).toBeGreaterThan(300);
  });
});
