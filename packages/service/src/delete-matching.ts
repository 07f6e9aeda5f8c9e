import type { LogStorage, SearchQuery } from "@batchlog/storage";
import { BadRequestError } from "./errors.js";
import { bad, parseSearchQuery } from "./search-params.js";

/** Entries per search page and per delete transaction. */
const PAGE = 1000;

/** What an erase request did. */
export interface DeleteResult {
  deleted: number;
  /** The newest entry committed when it started: entries committed after it were kept. */
  lastId: number;
  /** The request's own `to`, when it gave one: entries stamped at or after it were kept. */
  to: Date | null;
}

/**
 * Erases every entry a search with the request's filters finds (q, level, minLevel, source, from,
 * to, field.KEY, field.KEY!), as Loki's delete API does for a selector and a time range: an
 * operator removing what should not have been logged (a user's data, a leaked secret). Entries
 * committed after it starts are not taken along, whatever their time: it deletes ids up to the
 * newest one committed then (ids follow commit order), so a match stamped ahead of the server's
 * clock goes too, and one arriving meanwhile with an older stamp stays. At least one filter
 * or bound is required: a bare request would erase the store. Walks the matches newest first a
 * 1000-entry cursor page at a time (stable while entries arrive and while rows go) and deletes
 * each page in one transaction on the writer, between which ingestion proceeds.
 */
export async function deleteMatching(
  storage: LogStorage,
  params: URLSearchParams,
  now: number,
): Promise<DeleteResult> {
  for (const name of ["limit", "cursor"]) {
    if (params.has(name))
      throw bad(name, "a delete takes every match: narrow it with the filters, from and to");
  }
  const filters = parseSearchQuery(params, now);
  if (!narrowed(filters)) {
    throw new BadRequestError(
      "name what to delete: a text, level, source or field filter, or from/to (a bare request would delete every entry)",
    );
  }
  const lastId = (await storage.committedAfter({ afterId: 0, limit: 1 })).entries[0]?.id ?? 0;
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await storage.search({ ...filters, limit: PAGE, ...(cursor !== undefined && { cursor }) });
    const ids = page.entries.filter((e) => e.id <= lastId).map((e) => e.id);
    if (ids.length > 0) deleted += await storage.deleteEntries(ids);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { deleted, lastId, to: filters.to ?? null };
}

function narrowed(filters: SearchQuery): boolean {
  return (
    filters.text !== undefined ||
    filters.notText !== undefined ||
    filters.levels !== undefined ||
    filters.minLevel !== undefined ||
    filters.sources !== undefined ||
    Object.keys(filters.fields ?? {}).length > 0 ||
    Object.keys(filters.notFields ?? {}).length > 0 ||
    filters.from !== undefined ||
    filters.to !== undefined
  );
}
