import { describe, expect, it } from "vitest";
import { createEntryValidator } from "../src/native-entry.js";
import { VALIDATION_CHUNK, validateItems } from "../src/validate-items.js";

describe("validateItems", () => {
  it("yields to the event loop between chunks of a large request", async () => {
    const items = Array.from({ length: VALIDATION_CHUNK * 5 }, (_, i) => ({ raw: { message: `m${i}` } }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const results = await validateItems(createEntryValidator(), items);
    clearInterval(timer);
    expect(results).toHaveLength(items.length);
    expect(ticks).toBeGreaterThanOrEqual(1);
  });

  it("parses NDJSON lines as it validates them and passes earlier refusals through", async () => {
    const results = await validateItems(createEntryValidator(), [
      { line: '{"message":"ok","level":"WARN"}', lineNumber: 1 },
      { line: "{nope", lineNumber: 3 },
      { error: "refused by the adapter", field: "labels" },
      { raw: { message: 5 } },
    ]);
    expect(results[0]).toEqual({ message: "ok", level: "warn" });
    expect(results[1]).toMatchObject({ error: expect.stringMatching(/not valid JSON/), lineNumber: 3 });
    expect(results[2]).toEqual({ error: "refused by the adapter", field: "labels" });
    expect(results[3]).toMatchObject({ field: "message" });
  });

  it("measures fields in UTF-8 bytes, also when their text is short in characters", async () => {
    const validator = createEntryValidator({ maxMessageBytes: 1000, maxFieldsBytes: 100 });
    const results = await validateItems(validator, [
      { raw: { message: "m", fields: { k: "€".repeat(30) } } }, // {"k":"…"} = 98 bytes, 38 characters
      { raw: { message: "m", fields: { k: "€".repeat(31) } } }, // 101 bytes, 39 characters
      { raw: { message: "m", fields: { k: "x".repeat(93) } } }, // 101 bytes
    ]);
    expect(results[0]).toEqual({ message: "m", fields: { k: "€".repeat(30) } });
    expect(results[1]).toMatchObject({
      field: "fields",
      error: expect.stringMatching(/larger than 100 bytes/),
    });
    expect(results[2]).toMatchObject({ field: "fields" });
  });
});
