import { ValidationError } from "./errors.js";

/** Position after the last entry of a page: (timestamp, id) of that entry, newest-first order. */
export interface CursorPosition {
  timestamp: number;
  id: number;
}

/**
 * A cursor carries the fingerprint of the filters its page was found with (see `filterFingerprint`
 * in log-reader.ts): used with other filters, it would page on from a position in another result
 * set, and the newer matches of the new filters would be silently skipped.
 */
export function encodeCursor(position: CursorPosition, fingerprint: string): string {
  return Buffer.from(`${position.timestamp}:${position.id}:${fingerprint}`).toString("base64url");
}

export function decodeCursor(cursor: string, fingerprint: string): CursorPosition {
  const match = /^(-?\d+):(\d+):([0-9a-z]+)$/.exec(Buffer.from(cursor, "base64url").toString());
  if (match === null) throw new ValidationError("cursor", "not a cursor returned by a previous search");
  if (match[3] !== fingerprint) {
    throw new ValidationError(
      "cursor",
      "belongs to a search with other filters (text, levels, sources, fields): page on with the filters it came from, or search again without it",
    );
  }
  return { timestamp: Number(match[1]), id: Number(match[2]) };
}

/** A short, stable hash of a canonical text (FNV-1a, 32 bits). */
export function fingerprintOf(canonical: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i++) {
    hash ^= canonical.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}
