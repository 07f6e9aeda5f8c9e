import { SEPARATOR_RANGES, UNFOLDED_RANGES, VANISHING_MARKS } from "./unicode61-tables.js";

/**
 * Splits text into tokens exactly as the storage's FTS5 index does (`tokenize='unicode61'`,
 * default options), so that the live tail can match a message the way search matches it:
 * - ASCII letters and digits are token characters, every other ASCII character separates;
 * - a non-ASCII code point separates only if FTS5's Unicode 6.1 tables call it a space,
 *   punctuation, symbol or control (SEPARATOR_RANGES), so letters of every script count;
 * - each character is case-folded and loses its diacritic when it is one Latin letter plus one
 *   mark (é → e, but not ǖ), and standalone combining diacritics vanish; empty tokens are skipped.
 */
export function tokenizeUnicode61(text: string): string[] {
  const tokens: string[] = [];
  let token = "";
  const end = () => {
    if (token.length > 0) tokens.push(token);
    token = "";
  };
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp < 0x80) {
      if ((cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39)) token += text[i];
      else if (cp >= 0x41 && cp <= 0x5a) token += String.fromCharCode(cp + 0x20);
      else end();
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (isSeparator(cp)) end();
    else token += foldNonAscii(cp);
  }
  end();
  return tokens;
}

function isSeparator(cp: number): boolean {
  return inRanges(SEPARATOR_RANGES, cp);
}

/** Binary search in [start, end] pairs. */
function inRanges(ranges: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < (ranges[2 * mid] as number)) hi = mid - 1;
    else if (cp > (ranges[2 * mid + 1] as number)) lo = mid + 1;
    else return true;
  }
  return false;
}

const VANISHING = new Set(VANISHING_MARKS);
const foldCache = new Map<number, string>();
const LATIN_LETTER_AND_MARK = /^[a-z]\p{M}$/u;

/** FTS5's fold for one non-ASCII token character (cached: logs repeat the same few scripts). */
function foldNonAscii(cp: number): string {
  let folded = foldCache.get(cp);
  if (folded !== undefined) return folded;
  folded = computeFold(cp);
  if (foldCache.size < 65_536) foldCache.set(cp, folded);
  return folded;
}

function computeFold(cp: number): string {
  if (VANISHING.has(cp)) return "";
  const char = String.fromCodePoint(cp);
  if (inRanges(UNFOLDED_RANGES, cp)) return char;
  // Simple case folding: through the upper case when that is one character (ς → Σ → σ, ſ → S → s),
  // and only the first character of a lower case that is longer (İ → i̇ → i).
  const upper = char.toUpperCase();
  const lower = [...(codePoints(upper) === 1 ? upper : char).toLowerCase()][0] ?? char;
  const decomposed = lower.normalize("NFD");
  return LATIN_LETTER_AND_MARK.test(decomposed) ? (decomposed[0] as string) : lower;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
