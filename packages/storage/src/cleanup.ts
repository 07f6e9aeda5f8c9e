import type { Logger } from "pino";
import { LOG_LEVELS, levelToNumber } from "./levels.js";
import type { LogReads } from "./log-reader.js";
import type { CleanupPolicy, Footprint } from "./types.js";
import type { BatchWriter } from "./writers/batch-writer.js";

/** What cleanup needs of the writer. */
type Deletes = Pick<BatchWriter, "deleteChunk" | "releaseFreePages" | "checkpoint" | "mergeFullText">;

/** The writer's deletes, each chunk's row count reported once it has committed. */
export function countingDeletes(writer: Deletes, onDeleted: (rows: number) => void): Deletes {
  return {
    async deleteChunk(scope, chunkSize) {
      const rows = await writer.deleteChunk(scope, chunkSize);
      onDeleted(rows);
      return rows;
    },
    releaseFreePages: (maxPages) => writer.releaseFreePages(maxPages),
    mergeFullText: (pages, begin) => writer.mergeFullText(pages, begin),
    checkpoint: (mode) => writer.checkpoint(mode),
  };
}

/** Rows deleted per transaction: keeps each delete short so ingestion is never blocked for long. */
export const CLEANUP_CHUNK = 5000;

/** Free pages given back to the filesystem per transaction after a cleanup (8 MiB of 4 KiB pages). */
export const RELEASE_CHUNK_PAGES = 2048;

/**
 * Deletes by age (per level, then the rest), then by count, then by size, in bounded chunks on the writer; FTS stays consistent via
 * triggers. Then gives the free pages back to the filesystem (files created with
 * auto_vacuum=INCREMENTAL), also in bounded chunks, whether or not this run deleted rows: erases
 * and earlier runs cut short leave free pages too. A failure there is logged, not thrown: the
 * rows are deleted and their pages are reused by later writes anyway. Once `stopped()` (the
 * storage is closing), it ends after the current chunk with the rows deleted so far.
 */
export async function runCleanup(
  writer: Deletes,
  reader: LogReads,
  policy: CleanupPolicy,
  { logger, stopped }: { logger?: Logger | undefined; stopped: () => boolean },
): Promise<number> {
  const deleted = await deleteRows(writer, reader, policy, stopped);
  // Closing: the rows deleted so far are committed; the close's own checkpoint follows.
  if (!stopped()) {
    try {
      const bytes = await releaseFreePages(writer);
      if (bytes > 0) {
        // The file shrinks when a checkpoint copies the commit that truncated it into the database.
        await writer.checkpoint("PASSIVE");
        logger?.info({ deleted, releasedBytes: bytes }, "cleanup returned free space to the filesystem");
      }
    } catch (error) {
      logger?.warn({ err: error, deleted }, "cleanup deleted rows but could not return their space");
    }
  }
  return deleted;
}

async function deleteRows(
  writer: Deletes,
  reader: LogReads,
  policy: CleanupPolicy,
  stopped: () => boolean,
): Promise<number> {
  let deleted = 0;
  const byLevel = policy.olderThanByLevel ?? {};
  const named = LOG_LEVELS.filter((level) => byLevel[level] !== undefined);
  for (const level of named) {
    if (stopped()) break;
    const beforeMs = byLevel[level]!.getTime();
    deleted += await deleteAll(
      writer,
      { kind: "olderThan", beforeMs, levels: [levelToNumber(level)] },
      stopped,
    );
  }
  const rest = LOG_LEVELS.filter((level) => byLevel[level] === undefined);
  if (policy.olderThan !== undefined && rest.length > 0 && !stopped()) {
    const beforeMs = policy.olderThan.getTime();
    const levels = named.length === 0 ? undefined : rest.map(levelToNumber);
    deleted += await deleteAll(writer, { kind: "olderThan", beforeMs, ...(levels && { levels }) }, stopped);
  }
  if (policy.maxEntries !== undefined && !stopped()) {
    deleted += await keepNewest(writer, reader, policy.maxEntries, stopped);
  }
  for (let round = 0; policy.maxBytes !== undefined && round < MAX_BYTES_ROUNDS && !stopped(); round++) {
    let footprint = await reader.footprint();
    // Rows deleted leave FTS5 delete markers until the index's segments merge (33.5 of 40 MiB
    // once): measured with them, bytes per entry come out high and far too many rows go.
    if (deleted > 0 && footprint.usedBytes > policy.maxBytes) {
      await mergeFullText(writer, stopped);
      footprint = await reader.footprint();
    }
    const keep = entriesWithin(footprint, policy.maxBytes);
    if (keep === null) break;
    const removed = await keepNewest(writer, reader, keep, stopped);
    deleted += removed;
    if (removed === 0) break;
  }
  return deleted;
}

/** Deletes all but the `keep` newest entries. */
async function keepNewest(
  writer: Deletes,
  reader: LogReads,
  keep: number,
  stopped: () => boolean,
): Promise<number> {
  // newest as search orders them (timestamp, id): what remains is the head of every search
  const cutoff = await reader.cutoffToKeep(keep);
  if (cutoff === null || stopped()) return 0;
  return deleteAll(writer, { kind: "notNewerThan", ...cutoff }, stopped);
}

/**
 * Merges every segment of the full-text index into one, MERGE_PAGES per transaction so that
 * ingestion goes on between them; at most MERGE_MAX_STEPS (written pages: ~1 GiB at most).
 */
async function mergeFullText(writer: Deletes, stopped: () => boolean): Promise<void> {
  for (let step = 0; step < MERGE_MAX_STEPS && !stopped(); step++) {
    // begun once: later steps finish that merge (a new begin would take in each new segment)
    if (!(await writer.mergeFullText(MERGE_PAGES, step === 0))) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** FTS5 pages (~4 KB) written per merge step: 13–36 ms each on a 55 MiB index. */
const MERGE_PAGES = 64;
const MERGE_MAX_STEPS = 4096;

/** Rounds of measure-and-delete for maxBytes in one run. */
const MAX_BYTES_ROUNDS = 3;

/** Below maxBytes by this share, so that a run is not followed at once by another for a few rows. */
const MAX_BYTES_HEADROOM = 0.05;

/**
 * How many of the newest entries fit in `maxBytes` at the database's bytes per entry (its tables,
 * indexes and full-text index together); null when it is within `maxBytes` already.
 */
function entriesWithin({ usedBytes, entries }: Footprint, maxBytes: number): number | null {
  if (usedBytes <= maxBytes || entries === 0) return null;
  return Math.floor((entries * maxBytes * (1 - MAX_BYTES_HEADROOM)) / usedBytes);
}

/** Gives every free page back, RELEASE_CHUNK_PAGES per transaction; returns the bytes released. */
export async function releaseFreePages(writer: Pick<BatchWriter, "releaseFreePages">): Promise<number> {
  let total = 0;
  for (;;) {
    const bytes = await writer.releaseFreePages(RELEASE_CHUNK_PAGES);
    if (bytes === 0) break;
    total += bytes;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return total;
}

async function deleteAll(
  writer: Deletes,
  scope: Parameters<BatchWriter["deleteChunk"]>[0],
  stopped: () => boolean,
): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await writer.deleteChunk(scope, CLEANUP_CHUNK);
    total += n;
    if (n < CLEANUP_CHUNK || stopped()) return total;
    // let queued batches through between chunks
    await new Promise((resolve) => setImmediate(resolve));
  }
}
