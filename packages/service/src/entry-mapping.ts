import { type LogLevel, parseLevel } from "@batchlog/storage";

const MAX_SOURCE_CHARS = 256;

/** Attribute/label keys that name the level, in order of preference. */
export const LEVEL_KEYS = [
  "level",
  "severity",
  "detected_level",
  "severity_text",
  "lvl",
  "loglevel",
] as const;

/** Attribute/label keys that name the source, in order of preference. */
export const SOURCE_KEYS = ["service_name", "service.name", "service", "app", "application", "job"] as const;

/** The first key of `keys` whose value in `fields` is a known level (aliases accepted). */
export function levelFrom(fields: Record<string, unknown>, keys: readonly string[]): LogLevel | undefined {
  for (const key of keys) {
    const value = fields[key];
    if (typeof value === "string") {
      const level = parseLevel(value);
      if (level !== undefined) return level;
    }
  }
  return undefined;
}

/** The first non-empty string value among `keys`, cut to the 256 characters a source may have. */
export function sourceFrom(fields: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = fields[key];
    if (typeof value === "string" && value.trim().length > 0) return clipSource(value);
  }
  return undefined;
}

export function clipSource(value: string): string {
  return value.length > MAX_SOURCE_CHARS ? value.slice(0, MAX_SOURCE_CHARS) : value;
}
