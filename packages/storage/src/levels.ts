/** Log levels in ascending severity; stored as their 1-based index. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = {
  trace: "trace",
  verbose: "trace",
  silly: "trace", // winston's most verbose level
  debug: "debug",
  dbg: "debug",
  http: "debug", // winston's level between info and verbose
  info: "info",
  information: "info",
  informational: "info",
  notice: "info",
  log: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  err: "error",
  fatal: "fatal",
  critical: "fatal",
  crit: "fatal",
  alert: "fatal",
  emerg: "fatal",
  emergency: "fatal",
  panic: "fatal",
};

/** Whether `name` is a canonical level name (not an alias). */
export function isLogLevel(name: string): name is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(name);
}

/** Maps a level name or common alias (case-insensitive) to a level, or undefined when unknown. */
export function parseLevel(input: string): LogLevel | undefined {
  const key = input.trim().toLowerCase();
  // own names only: "constructor" or "__proto__" are not levels, whatever Object.prototype holds
  return Object.hasOwn(LEVEL_ALIASES, key) ? LEVEL_ALIASES[key] : undefined;
}

export function levelToNumber(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level) + 1;
}

export function levelFromNumber(n: number): LogLevel {
  const level = LOG_LEVELS[n - 1];
  if (level === undefined) throw new RangeError(`no log level numbered ${n}`);
  return level;
}

/** Every level at or above `min`. */
export function levelsAtLeast(min: LogLevel): LogLevel[] {
  return LOG_LEVELS.slice(LOG_LEVELS.indexOf(min));
}
