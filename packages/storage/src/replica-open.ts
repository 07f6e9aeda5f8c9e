import { backoffDelayMs } from "./backoff.js";
import type { BatchConfig } from "./config.js";
import { type OpenedDatabase, openClient } from "./database.js";

/** How long an embedded replica's open waits for the server's snapshot before failing. */
export const SNAPSHOT_WAIT_MS = 30_000;

/**
 * Opens the client. An embedded replica syncs when its connection opens (on the first statement),
 * and sqld answers "snapshot not found" (gRPC Unavailable) between compacting its replication log
 * and renaming the new snapshot into place, which can take seconds (tursodatabase/libsql#1310): a
 * replica that must catch up from that snapshot tries again with backoff, up to
 * SNAPSHOT_WAIT_MS. Any other failure is thrown.
 */
export async function openClientAwaitingSnapshot(config: BatchConfig): Promise<OpenedDatabase> {
  if (config.syncUrl === undefined) return openClient(config);
  const deadline = performance.now() + SNAPSHOT_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    let opened: OpenedDatabase | undefined;
    try {
      opened = openClient(config);
      await opened.client.sync(); // the first sync: where "snapshot not found" comes back
      return opened;
    } catch (error) {
      opened?.client.close();
      const waitMs = backoffDelayMs(config.retry, attempt);
      const giveUp =
        !isSnapshotNotFound(error) ||
        attempt >= config.retry.maxAttempts ||
        performance.now() + waitMs > deadline;
      if (giveUp) throw error;
      config.logger?.warn(
        { attempt, retryInMs: Math.round(waitMs), reason: SNAPSHOT_NOT_FOUND },
        "embedded replica: the server's snapshot is not ready yet; opening again",
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

const SNAPSHOT_NOT_FOUND = "snapshot not found (the server is still writing it)";

export function isSnapshotNotFound(error: unknown): boolean {
  return error instanceof Error && /snapshot not found/i.test(error.message);
}

/** The reason an open gave up, without the gRPC metadata the driver's message carries. */
export function snapshotNotFoundReason(syncUrl: string | undefined): string {
  return `${SNAPSHOT_NOT_FOUND}: ${syncUrl ?? "the server"} had none ready for this replica within ${SNAPSHOT_WAIT_MS / 1000} s`;
}
