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
  const n =
    typeof severityNumber === "string"
      ? (SEVERITY_NAMES[severityNumber] ?? Number(severityNumber))
      : severityNumber;
  if (typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 24)
    return BANDS[(n - 1) >> 2] as LogLevel;
  if (typeof severityText === "string") return parseLevel(severityText) ?? shortName(severityText) ?? "info";
  return "info";
}

/** OTel's short names of the finer severities: `ERROR2`, `warn3`, `INFO4` are their band's level. */
function shortName(text: string): LogLevel | undefined {
  const m = /^\s*([A-Za-z]+)[234]\s*$/.exec(text);
  return m === null ? undefined : parseLevel(m[1] as string);
}
