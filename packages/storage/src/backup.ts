import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { isRemoteUrl } from "./config.js";
import { ConfigError } from "./errors.js";
import { filePathOf } from "./file-url.js";
import { threadEntry } from "./threads/spawn-thread.js";
import { ThreadClient } from "./threads/thread-client.js";
import { DriverThreadError } from "./threads/thread-protocol.js";

export interface BackupOptions {
  /** The database to copy: a local `file:` URL, in use by a running server or not. */
  url: string;
  /** The file to write; it must not exist. */
  to: string;
  /** How long to wait for a lock held by another connection (a WAL recovery at most). */
  busyTimeoutMs?: number;
}

/** What the backup thread is given (backup-worker.ts) and what it answers. */
export interface BackupJob {
  source: string;
  partial: string;
  busyTimeoutMs: number;
}
export interface CopyReport {
  entries: number;
  lastId: number | null;
}

export interface BackupResult {
  /** Absolute path of the copy. */
  path: string;
  bytes: number;
  /** Entries in the copy, and the newest one's id (null when it holds none). */
  entries: number;
  lastId: number | null;
  ms: number;
}

/**
 * Copies a local batchlog database into a new file while it is in use. `VACUUM INTO` reads one
 * snapshot (in WAL mode the writer goes on meanwhile): the copy holds every entry committed
 * before it started and none after, compacted, in one file without a WAL. Copying the file with
 * `cp` while a server writes is not a backup: the newest commits are in the -wal file, and a copy
 * taken during a checkpoint can mix two states of the same pages.
 *
 * The copy is written beside its destination as `<to>.partial`, checked (`PRAGMA quick_check`,
 * its entries counted) and only then renamed to `to`: a backup cut short never leaves a file
 * that looks complete. While it runs, the snapshot it reads keeps the WAL from restarting, so the
 * WAL grows with whatever is written meanwhile. The copy runs on a thread of its own: the local
 * driver is synchronous, and the caller's event loop goes on.
 */
export async function backupDatabase(options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  if (isRemoteUrl(options.url)) {
    throw new ConfigError([
      {
        field: "url",
        message: "a backup copies a local file: back up a libSQL server from the server itself",
      },
    ]);
  }
  const source = filePathOf(options.url);
  const target = resolve(options.to);
  // Opening a path that does not exist would create an empty database and back that up.
  if (!existsSync(source)) throw new ConfigError([{ field: "url", message: `no database at ${source}` }]);
  if (existsSync(target)) throw new ConfigError([{ field: "to", message: `${target} exists already` }]);
  const partial = `${target}.partial`;
  rmSync(partial, { force: true }); // left by a backup that was cut short
  const thread = ThreadClient.lazy({
    entry: threadEntry(import.meta.url, "./backup-worker"),
    workerData: { source, partial, busyTimeoutMs: options.busyTimeoutMs ?? 5000 } satisfies BackupJob,
    resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 1 },
    toError: (info) => new DriverThreadError(info),
  });
  let report: CopyReport;
  try {
    report = (await thread.request({ op: "backup" })) as CopyReport;
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    await thread.close({ op: "close" });
  }
  renameSync(partial, target);
  return { path: target, bytes: statSync(target).size, ...report, ms: performance.now() - started };
}
