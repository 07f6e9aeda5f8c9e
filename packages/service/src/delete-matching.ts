import type { LogStorage, SearchQuery } from "@batchlog/storage";
import { BadRequestError } from "./errors.js";
import { bad, parseSearchQuery } from "./search-params.js";

/** Entries per search page and per delete transaction. */
const PAGE = 1000;

/** What an erase request did. */
export interface DeleteResult {
  deleted: number;
  /** The `to` it was bounded by: entries stamped at or after it were kept. */
  to: Date;
}

/**
 * Erases every entry a search with the request's filters finds (q, level, minLevel, source, from,
 * to, field.KEY, field.KEY!), as Loki's delete API does for a selector and a time range: an
 * operator removing what should not have been logged (a user's data, a leaked secret). `to`
 * defaults to now, so entries that arrive while it runs are not taken along. At least one filter
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
  const to = filters.to ?? new Date(now);
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await storage.search({
      ...filters,
      to,
      limit: PAGE,
      ...(cursor !== undefined && { cursor }),
    });
    deleted += await storage.deleteEntries(page.entries.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { deleted, to };
}

function narrowed(filters: SearchQuery): boolean {
  return (
    filters.text !== undefined ||
    filters.notText !== undefined ||
    filters.levels !== undefined ||
    filters.minLevel !== undefined ||
    filters.sources !== undefined ||
    filters.fields !== undefined ||
    filters.notFields !== undefined ||
    filters.from !== undefined ||
    filters.to !== undefined
  );
}
