import { type LogLevel, parseLevel } from "@batchlog/storage";

const BANDS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal"];

const SEVERITY_NAMES: Readonly<Record<string, number>> = Object.fromEntries(
  ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].flatMap((band, b) =>
    [1, 2, 3, 4].map((k) => [`SEVERITY_NUMBER_${band}${k === 1 ? "" : k}`, b * 4 + k]),
  ),
);

/**
 * OTLP severity → level (SPEC §3): severityNumber 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn,
 * 17–20 error, 21–24 fatal; 0, absent or out of range → severityText (a level name or alias, or
 * OTel's short name of a finer severity such as `ERROR2`), else info. The JSON enum name (`SEVERITY_NUMBER_WARN2`) is accepted as well as the number.
 */
export function severityToLevel(severityNumber: unknown, severityText: unknown): LogLevel {
  const n = severityNumberOf(severityNumber);
  if (n !== undefined) return BANDS[(n - 1) >> 2] as LogLevel;
  if (typeof severityText === "string") return parseLevel(severityText) ?? shortName(severityText) ?? "info";
  return "info";
}

/** OTel's short names of the finer severities: `ERROR2`, `warn3`, `INFO4` are their band's level. */
function shortName(text: string): LogLevel | undefined {
  const m = /^\s*([A-Za-z]+)[234]\s*$/.exec(text);
  return m === null ? undefined : parseLevel(m[1] as string);
}

/** A severityNumber from 1 to 24 (a number, its decimal string or its JSON enum name), else undefined. */
export function severityNumberOf(value: unknown): number | undefined {
  const n = typeof value === "string" ? (SEVERITY_NAMES[value] ?? Number(value)) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 24 ? n : undefined;
}

/**
 * What the level alone does not say, kept in `fields` under Loki's names: a severityText other
 * than the level's own name (`NOTICE`, `AUDIT`, `Information`) and a finer severityNumber than its
 * band's first (10 is INFO2; 9 is just info).
 */
export function keepSeverity(
  fields: Record<string, unknown>,
  level: LogLevel,
  severityNumber: unknown,
  severityText: unknown,
): void {
  if (typeof severityText === "string" && severityText.trim().toLowerCase() !== level && severityText !== "")
    fields.severity_text = severityText;
  const n = severityNumberOf(severityNumber);
  if (n !== undefined && (n - 1) % 4 !== 0) fields.severity_number = n;
}
