import { clip } from "./clip.js";

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

const INVALID_DURATION_HINT = "use e.g. 500ms, 30s, 15m, 12h, 7d or a number of milliseconds";

/**
 * Parses a duration such as `500ms`, `30s`, `15m`, `12h`, `7d`, `2w`, or a compound `1h30m`,
 * into milliseconds; a bare integer is milliseconds (`60000`). Units: ms, s, m, h, d, w
 * (case-insensitive). Throws a RangeError naming the input when it is not a positive, finite
 * duration.
 */
export function parseDuration(input: string): number {
  const text = input.trim().toLowerCase();
  if (/^\d+$/.test(text)) return positiveMs(Number(text), input);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null || match.index !== start) {
      throw new RangeError(`invalid duration "${clip(input)}": ${INVALID_DURATION_HINT}`);
    }
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return positiveMs(text.length === 0 ? Number.NaN : Math.round(total), input);
}

/** The units a duration is written back in, largest first (`1w` reads less plainly than `7d`). */
const WRITTEN_UNITS = (["d", "h", "m", "s"] as const).map((unit) => [unit, UNIT_MS[unit] as number] as const);

/** 604800000 → "7d", 5400000 → "90m": the largest unit that divides it; parseDuration reads it back. */
export function formatDuration(ms: number): string {
  const exact = WRITTEN_UNITS.find(([, size]) => ms % size === 0);
  return exact === undefined ? `${ms}ms` : `${ms / exact[1]}${exact[0]}`;
}

/**
 * 28_800_123 → "8h", 5_400_000 → "1.5h", 754_000 → "13m", 97_632_000_000 → "1130d": about how
 * long, in the largest unit it holds, to a tenth below ten of them.
 */
export function formatRoughDuration(ms: number): string {
  const [unit, size] = WRITTEN_UNITS.find(([, size]) => ms >= size) ?? ["s", 1000];
  const n = ms / size;
  return `${n >= 10 ? Math.round(n) : Math.round(n * 10) / 10}${unit}`;
}

function positiveMs(ms: number, input: string): number {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new RangeError(`invalid duration "${clip(input)}": ${INVALID_DURATION_HINT}`);
  }
  return ms;
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  // BATCHLOG_RETENTION_MAX_BYTES of a large disk
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * Parses a size such as `10mb`, `512kb`, `1gb`, `2tb` or a plain byte count into bytes
 * (binary multiples: 1kb = 1024 bytes; a fraction of a unit rounds down to whole bytes).
 * Throws a RangeError naming the input otherwise, and for a fractional byte count (`1.5`, `1.5b`).
 */
export function parseByteSize(input: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(input);
  const unit = match ? BYTE_UNITS[(match[2] as string).toLowerCase()] : undefined;
  // A byte count must be whole ("1.5" is a mistake, not 1 byte); a fraction of a larger unit is
  // rounded down to whole bytes ("1.5mb" = 1572864).
  if (match && unit === 1 && !Number.isInteger(Number(match[1]))) {
    throw new RangeError(`invalid size "${clip(input)}": a byte count must be a whole number`);
  }
  const bytes = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new RangeError(`invalid size "${clip(input)}": use e.g. 512kb, 10mb, 1gb or a byte count`);
  }
  return bytes;
}
