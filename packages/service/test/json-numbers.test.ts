import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonExact, quoteUnsafeNumbers } from "../src/json-numbers.js";
import { allEntries, type ServiceFixture, useServiceFixtures } from "./helpers/service.js";
import { IMPLEMENTATIONS } from "./helpers/temp-storage.js";

describe("parseJsonExact", () => {
  it("keeps integers beyond 2^53 and numbers beyond a double as their decimal text", () => {
    expect(
      parseJsonExact(
        '{"id":12345678901234567890,"neg":-9007199254740993,"big":1e400,"small":-1E-400,"safe":9007199254740991,' +
          '"pi":3.14159265358979323846,"exp":1.5e300,"list":[18446744073709551615, 1]}',
      ),
    ).toEqual({
      id: "12345678901234567890",
      neg: "-9007199254740993",
      big: "1e400",
      small: -0, // underflows to zero, as a double should: nothing to keep
      safe: 9007199254740991,
      pi: Math.PI,
      exp: 1.5e300,
      list: ["18446744073709551615", 1],
    });
  });

  it("leaves digits inside strings alone, escaped quotes included", () => {
    const text = String.raw`{"m":"id: 12345678901234567890 \" ,12345678901234567890","ts":"1732612345123456789"}`;
    expect(quoteUnsafeNumbers(text)).toBe(text);
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
  });

  it("parses as JSON.parse does whenever no number would change", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = JSON.stringify(value);
        expect(parseJsonExact(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });
});

describe.each(IMPLEMENTATIONS)("big numbers in ingested bodies on %s storage", (impl) => {
  const { open } = useServiceFixtures(impl);
  let fx: ServiceFixture;

  it("stores them exactly on the native route, NDJSON lines and OTLP/JSON", async () => {
    fx = await open();
    await fx.service.ingestNative(
      Buffer.from('{"message":"order","fields":{"orderId":12345678901234567890,"n":42}}'),
      "application/json",
    );
    await fx.service.ingestNative(
      Buffer.from('{"message":"a"}\n{"message":"snowflake","fields":{"id":1234567890123456789}}\n'),
      "application/x-ndjson",
    );
    // written by hand: a JS number literal would already be rounded
    const otlp = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"counter"},
      "attributes":[{"key":"bytes","value":{"intValue":1234567890123456789}}]}]}]}]}`;
    await fx.service.ingestOtlp(Buffer.from(otlp), { contentType: "application/json" });
    const fields = (await allEntries(fx.storage)).map((e) => e.fields);
    expect(fields).toEqual([
      { orderId: "12345678901234567890", n: 42 },
      null,
      { id: "1234567890123456789" },
      { bytes: "1234567890123456789" },
    ]);
  });
});
