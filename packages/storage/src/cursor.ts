import { ValidationError } from "./errors.js";

/** Position after the last entry of a page: (timestamp, id) of that entry, newest-first order. */
export interface CursorPosition {
  timestamp: number;
  id: number;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.timestamp}:${position.id}`).toString("base64url");
}

export function decodeCursor(cursor: string): CursorPosition {
  const match = /^(-?\d+):(\d+)$/.exec(Buffer.from(cursor, "base64url").toString());
  if (match === null) throw new ValidationError("cursor", "not a cursor returned by a previous search");
  return { timestamp: Number(match[1]), id: Number(match[2]) };
}
