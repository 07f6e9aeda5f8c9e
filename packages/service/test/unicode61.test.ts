import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenizeUnicode61 } from "../src/unicode61.js";
import { openTempStorage, type TempStorage } from "./helpers/temp-storage.js";

// tokenizeUnicode61 against the storage's own FTS5 index, for every Unicode code point: each one
// is stored between two letters ("q<c>q"), and the index's tokens (read back through fts5vocab)
// must be the ones the emulation makes. A SQLite whose tokenizer tables differ fails here.

const PER_MESSAGE = 2000;

function codePointMessages(): string[] {
  const messages: string[] = [];
  let words: string[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue; // not storable as text
    words.push(`q${String.fromCodePoint(cp)}q`);
    if (words.length === PER_MESSAGE) {
      messages.push(words.join(" "));
      words = [];
    }
  }
  messages.push(words.join(" "));
  return messages;
}

describe("tokenizeUnicode61", () => {
  let temp: TempStorage;
  beforeAll(async () => {
    temp = await openTempStorage("batched");
  });
  afterAll(async () => temp.dispose());

  it("tokenizes every code point as the storage's FTS5 index does", async () => {
    const messages = codePointMessages();
    const ids = await temp.storage.storeMany(messages.map((message) => ({ message })));
    await temp.storage.close();
    const db = createClient({ url: `file:${temp.path}` });
    try {
      await db.execute(
        "CREATE VIRTUAL TABLE temp.fts_tokens USING fts5vocab('main', 'log_entries_fts', 'instance')",
      );
      const { rows } = await db.execute(
        "SELECT doc, json_group_array(term) AS terms FROM (SELECT doc, term FROM temp.fts_tokens ORDER BY doc, offset) GROUP BY doc",
      );
      const indexed = new Map(rows.map((r) => [Number(r.doc), JSON.parse(String(r.terms)) as string[]]));
      let mismatches = 0;
      messages.forEach((message, i) => {
        const expected = indexed.get(ids[i] as number) ?? [];
        const actual = tokenizeUnicode61(message);
        if (JSON.stringify(actual) === JSON.stringify(expected)) return;
        mismatches++;
        // name the first differing code point, not 2000 of them
        const at = actual.findIndex((t, k) => t !== expected[k]);
        expect({ message: i, token: at, actual: actual[at], expected: expected[at] }).toBeUndefined();
      });
      expect(mismatches).toBe(0);
    } finally {
      db.close();
    }
  });

  it("folds case, strips one diacritic from a Latin letter, and splits on punctuation", () => {
    expect(tokenizeUnicode61("Order-1 shipped; CAFÉ e\u0301cole ǖ ΟΔΟΣ ς straße user_id 東京")).toEqual([
      "order",
      "1",
      "shipped",
      "cafe",
      "ecole",
      "ǖ",
      "οδοσ",
      "σ",
      "straße",
      "user",
      "id",
      "東京",
    ]);
  });
});
