import { closingQuote } from "./json-depth.js";

/**
 * JSON.parse for request bodies, without rounding numbers a double cannot hold: an integer beyond
 * 2^53 (a snowflake id, an order number, a byte counter) was stored rounded
 * (12345678901234567890 → 12345678901234567000) and one beyond a double's range (1e400) as null,
 * without a word. Such a number is kept as its decimal text, a string, as OTLP's int64s are
 * (see any-value.ts). Bodies without one (a cheap regex says so) parse as before.
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(MAYBE_UNSAFE.test(text) ? quoteUnsafeNumbers(text) : text);
}

/**
 * A number token that may not survive: 16+ digits in a row, or an exponent of 3+ digits. Digits
 * inside strings (nanosecond timestamps, trace ids) match as well when they follow `:`, `[` or
 * `,`; the exact pass below then finds nothing to change.
 */
const MAYBE_UNSAFE = /[:[,]\s*-?(?:\d{16}|\d*\.?\d+[eE][+-]?\d{3})/;

/** `text` with every number token outside strings that a double would change written as a string. */
export function quoteUnsafeNumbers(text: string): string {
  let out = "";
  let copied = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = closingQuote(text, i);
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < text.length && NUMBER_CHAR.test(text[end] as string)) end++;
      const token = text.slice(i, end);
      if (changesAsDouble(token)) {
        out += `${text.slice(copied, i)}"${token}"`;
        copied = end;
      }
      i = end - 1;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

const NUMBER_CHAR = /[0-9eE+\-.]/;

function changesAsDouble(token: string): boolean {
  if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(token)) return false; // not a number: JSON.parse says so
  const value = Number(token);
  if (!Number.isFinite(value)) return true;
  // Only integers written as such (a fraction's last digits are a double's to round), and only
  // those whose digits the double does not give back: 9007199254740992 does, as does any
  // JSON.stringify wrote (the shortest digits that read back as the same double).
  if (!/^-?\d+$/.test(token) || Number.isSafeInteger(value)) return false;
  return Math.abs(value) >= 1e21 || BigInt(token) !== BigInt(String(value));
}
