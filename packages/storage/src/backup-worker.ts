// Entry point of the thread that writes a backup (see backup.ts): the local driver is
// synchronous, and a VACUUM INTO of a large database would hold the caller's event loop for seconds.

import { workerData } from "node:worker_threads";
import Database from "libsql";
import type { BackupJob, CopyReport } from "./backup.js";
import { serveThread } from "./threads/serve-thread.js";

serveThread(
  () => workerData as BackupJob,
  (job, request) => {
    switch (request.op) {
      case "backup":
        return copyDatabase(job);
      case "close":
        return null;
      default:
        throw new Error(`unknown op ${request.op}`);
    }
  },
);

function copyDatabase(job: BackupJob): CopyReport {
  const source = new Database(job.source, { timeout: job.busyTimeoutMs });
  try {
    source.prepare("VACUUM INTO ?").run(job.partial);
  } finally {
    source.close();
  }
  const copy = new Database(job.partial);
  try {
    const [verdict] = copy.prepare("PRAGMA quick_check").raw().get() as [string];
    if (verdict !== "ok") throw new Error(`the copy failed its integrity check: ${verdict}`);
    const [entries, lastId] = copy.prepare("SELECT count(*), max(id) FROM log_entries").raw().get() as [
      number,
      number | null,
    ];
    return { entries, lastId };
  } finally {
    copy.close();
  }
}
