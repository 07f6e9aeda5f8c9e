import type { LogEntry, LogStorage, SearchQuery } from "@batchlog/storage";
import { bad, integerParam, parseSearchQuery } from "./search-params.js";

/** Entries an export holds when `limit` is not given, and the most it may ask for. */
export const DEFAULT_EXPORT_LIMIT = 10_000;
export const MAX_EXPORT_LIMIT = 1_000_000;
/** Entries per storage read: the largest search page. */
const PAGE = 1000;

/** Wraps each storage read of an export (a metrics hook: every page is a read of its own). */
export type ExportReadTimer = <T>(read: () => Promise<T>) => Promise<T>;

/** A search's matches as pages, newest first, up to `limit` entries. */
export interface ExportPages {
  limit: number;
  pages: AsyncIterable<LogEntry[]>;
}

/**
 * Reads an export request: a search's filters (q, level, minLevel, source, from, to, field.KEY)
 * and `limit`, the entries wanted in all (1–1,000,000, default 10,000). A cursor is refused: an
 * export starts from the newest match. The first page is read before this resolves, so that a
 * query the storage refuses is an error the caller can still answer with a status; the others
 * are read as the consumer pulls them (each a cursor page: stable while entries arrive), and
 * none once it stops. `eachRead` wraps every read, the first one included.
 */
export async function exportPages(
  storage: LogStorage,
  params: URLSearchParams,
  now: number,
  eachRead: ExportReadTimer = (read) => read(),
): Promise<ExportPages> {
  if (params.has("cursor"))
    throw bad("cursor", "an export starts from the newest match; narrow it with from/to");
  const limit = integerParam(params, "limit", 1, MAX_EXPORT_LIMIT) ?? DEFAULT_EXPORT_LIMIT;
  const withoutLimit = new URLSearchParams(params);
  withoutLimit.delete("limit");
  const filters = parseSearchQuery(withoutLimit, now);
  const read = (remaining: number, cursor?: string) => {
    const query: SearchQuery = { ...filters, limit: Math.min(PAGE, remaining) };
    if (cursor !== undefined) query.cursor = cursor;
    return eachRead(() => storage.search(query));
  };
  const first = await read(limit);
  async function* pages(): AsyncGenerator<LogEntry[]> {
    let page = first;
    let remaining = limit;
    for (;;) {
      yield page.entries;
      remaining -= page.entries.length;
      if (page.nextCursor === undefined || remaining <= 0) return;
      page = await read(remaining, page.nextCursor);
    }
  }
  return { limit, pages: pages() };
}
