import { LOG_LEVELS, type LogLevel, type LogStorage, type NewLogEntry } from "@batchlog/storage";

export interface SeedEntry {
  timestamp: number;
  level: LogLevel;
  source: string;
  message: string;
  fields: Record<string, unknown>;
}

const SOURCES = ["api", "worker", "cron"];
const WORDS = ["timeout", "connected", "retrying", "payment", "cache", "shutdown"];

/** `count` deterministic entries spread over `spanMs` before `end`, stored in one call. */
export async function seed(
  storage: LogStorage,
  count: number,
  end: number,
  spanMs: number,
): Promise<SeedEntry[]> {
  // mulberry32: deterministic, and its low bits are as good as its high ones.
  let state = 42;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const entries: SeedEntry[] = Array.from({ length: count }, (_, i) => ({
    timestamp: end - 1 - (next() % spanMs),
    level: LOG_LEVELS[next() % LOG_LEVELS.length] as LogLevel,
    source: SOURCES[next() % SOURCES.length] as string,
    message: `${WORDS[next() % WORDS.length]} event ${i}`,
    fields: { user: `u${next() % 4}`, attempt: next() % 3, ok: next() % 2 === 0 },
  }));
  const ids = await storage.storeMany(entries.map((e) => ({ ...e }) as NewLogEntry));
  if (ids.length !== count) throw new Error("seed: not every entry stored");
  return entries;
}
