import type { LogReads } from "./log-reader.js";
import type { CleanupPolicy } from "./types.js";
import type { BatchWriter } from "./writers/batch-writer.js";

/** Rows deleted per transaction: keeps each delete short so ingestion is never blocked for long. */
export const CLEANUP_CHUNK = 5000;

/** Deletes by age, then by count, in bounded chunks on the writer; FTS stays consistent via triggers. */
export async function runCleanup(
  writer: BatchWriter,
  reader: LogReads,
  policy: CleanupPolicy,
): Promise<number> {
  let deleted = 0;
  if (policy.olderThan !== undefined) {
    deleted += await deleteAll(writer, { kind: "olderThan", beforeMs: policy.olderThan.getTime() });
  }
  if (policy.maxEntries !== undefined) {
    const cutoff = await reader.cutoffIdToKeep(policy.maxEntries);
    if (cutoff !== null) deleted += await deleteAll(writer, { kind: "upToId", maxId: cutoff });
  }
  return deleted;
}

async function deleteAll(
  writer: BatchWriter,
  scope: Parameters<BatchWriter["deleteChunk"]>[0],
): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await writer.deleteChunk(scope, CLEANUP_CHUNK);
    total += n;
    if (n < CLEANUP_CHUNK) return total;
    // let queued batches through between chunks
    await new Promise((resolve) => setImmediate(resolve));
  }
}
