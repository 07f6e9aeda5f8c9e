// acceptPlainEntry (the ingest route's fast path) against the zod schema it stands in for: on
// JSON input it must accept exactly what the schema accepts and return the same entry, so that
// the fast path changes the cost of validation and nothing else.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  acceptPlainEntry,
  createEntryValidator,
  isItemIssue,
  validateBySchema,
  validateEntry,
} from "../src/native-entry.js";

// Small limits, so that generated values cross them often.
const limits = { maxMessageBytes: 48, maxFieldsBytes: 64 };
const validator = createEntryValidator(limits);

const text = (max: number) =>
  fc.oneof(
    fc.string({ maxLength: max }),
    fc.string({ unit: "grapheme", maxLength: max }), // multi-byte: bytes ≠ characters
    fc.constantFrom("", "€".repeat(16), "€".repeat(17), "x".repeat(48), "x".repeat(49)),
  );

const deep = (levels: number) => JSON.parse(`${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`);

/** Mostly values an entry may hold, now and then one it may not. */
const mostly = <T, U>(right: fc.Arbitrary<T>, wrong: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 5, arbitrary: right }, { weight: 1, arbitrary: wrong });

const timestamp = mostly(
  fc.oneof(
    fc.constantFrom(
      "2026-11-27T10:00:00Z",
      "2026-11-27T10:00:00.123+02:00",
      "2026-11-27T10:00:00",
      "1764237600000",
    ),
    fc.integer({ min: 0, max: 2 ** 45 }),
    fc.constant(8.64e15),
  ),
  fc.oneof(
    fc.constantFrom("2026-02-30T00:00:00Z", "12345678901234567", "yesterday", "", 1e20, -1e20, 8.64e15 + 1),
    fc.double(),
    fc.boolean(),
    fc.constant({}),
  ),
);
const level = mostly(
  fc.constantFrom(
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "fatal",
    "WARN",
    "warning",
    "err",
    "critical",
    "Info",
  ),
  fc.oneof(fc.constantFrom("verbose", ""), fc.integer(), fc.constant(["info"])),
);
const source = mostly(
  fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constant("s".repeat(256))),
  fc.oneof(fc.constantFrom("", "s".repeat(257)), fc.integer()),
);
const message = mostly(text(60), fc.oneof(fc.integer(), fc.constant({ text: "x" })));
const fields = mostly(
  fc.oneof(
    fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    fc.constantFrom({}, { k: "€".repeat(20) }, { k: "€".repeat(25) }, deep(20)),
  ),
  fc.oneof(
    fc.constant(deep(300)),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.string({ maxLength: 4 }),
    fc.integer(),
  ),
);
/** Absent, null, or a value; `rarely` for keys an entry should not have. */
const key = <T>(value: fc.Arbitrary<T>, rarely = false) =>
  fc.oneof(
    { weight: rarely ? 20 : 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: rarely ? 1 : 6, arbitrary: value },
  );

/** Entry-shaped objects, right and wrong, with now and then a key no entry has. */
const item = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .record({
        timestamp: key(timestamp),
        level: key(level),
        source: key(source),
        message: fc.oneof(
          { weight: 12, arbitrary: message },
          { weight: 1, arbitrary: fc.constant(undefined) },
        ),
        fields: key(fields),
        extra: key(fc.constantFrom(1, "x"), true),
      })
      .map((record) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined))),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** As the route sees it: JSON text parsed (no undefined, no Date, keys such as "__proto__" as own keys). */
const asParsed = (value: unknown): unknown => {
  const json = JSON.stringify(value);
  return json === undefined ? null : JSON.parse(json);
};

describe("validation fast path", () => {
  it("accepts exactly what the zod schema accepts, as the same entry, on parsed JSON", () => {
    let fast = 0;
    let refused = 0;
    fc.assert(
      fc.property(item, (generated) => {
        const parsed = asParsed(generated);
        const plain = acceptPlainEntry(parsed, limits);
        const bySchema = validateBySchema(validator, parsed);
        if (plain === undefined) {
          expect(
            isItemIssue(bySchema),
            `the schema accepts what the fast path declined: ${JSON.stringify(parsed)}`,
          ).toBe(true);
          refused++;
        } else {
          expect(bySchema).toEqual(plain);
          fast++;
        }
      }),
      { numRuns: 5000 },
    );
    // both sides of the comparison were exercised
    expect(fast).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(1000);
  });

  it("never accepts more than the schema, on objects JSON cannot produce", () => {
    fc.assert(
      fc.property(item, fc.date({ noInvalidDate: false }), (generated, date) => {
        const value = { ...(generated as object), timestamp: date };
        const plain = acceptPlainEntry(value, limits);
        if (plain !== undefined) expect(validateBySchema(validator, value)).toEqual(plain);
      }),
      { numRuns: 2000 },
    );
    const inherited = Object.create({ extra: 1 });
    inherited.message = "m";
    expect(acceptPlainEntry(inherited, limits)).toBeUndefined();
  });

  it("takes the fast path for ordinary entries and words refusals as the schema does", () => {
    const ordinary = {
      timestamp: "2026-11-27T10:00:00.000Z",
      level: "WARN",
      source: "api",
      message: "GET /orders 200",
      fields: { status: 200, path: "/orders" },
    };
    expect(acceptPlainEntry(ordinary, limits)).toEqual({
      timestamp: new Date("2026-11-27T10:00:00.000Z"),
      level: "warn",
      source: "api",
      message: "GET /orders 200",
      fields: { status: 200, path: "/orders" },
    });
    expect(acceptPlainEntry({ message: "m", fields: {} }, limits)).toEqual({ message: "m" });
    const tooBig = { message: "m", fields: { k: "x".repeat(100) } };
    expect(acceptPlainEntry(tooBig, limits)).toBeUndefined();
    expect(validateEntry(validator, tooBig)).toEqual({
      field: "fields",
      error: "fields: larger than 64 bytes serialized",
    });
    expect(validateEntry(validator, { message: "m", colour: "red" })).toMatchObject({
      field: "colour",
      error: expect.stringMatching(/^unknown key "colour"/),
    });
  });
});
