import type { ValidEntry } from "./native-entry.js";

/**
 * SQLite keeps a U+0000 inside a TEXT value, but the driver reads text only up to it: a message
 * "a\u0000b" was stored whole, acknowledged, and read back (and indexed) as "a". So a NUL in the
 * message or source becomes U+FFFD, as the storage already does for a lone surrogate: the line is
 * kept, and the character that could not be kept shows. `fields` are stored as JSON, where a NUL
 * is the escape `\u0000` and comes back as sent.
 */
export function replaceNul(entry: ValidEntry): ValidEntry {
  const message = entry.message.includes("\u0000")
    ? entry.message.replaceAll("\u0000", "\uFFFD")
    : entry.message;
  const source = entry.source?.includes("\u0000")
    ? entry.source.replaceAll("\u0000", "\uFFFD")
    : entry.source;
  if (message === entry.message && source === entry.source) return entry;
  return { ...entry, message, ...(source !== undefined && { source }) };
}
