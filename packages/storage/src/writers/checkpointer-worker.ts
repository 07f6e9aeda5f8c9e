// Entry point of the checkpointer thread: a connection of its own copies committed WAL pages into
// the database file while the writer thread goes on writing (see background-checkpointer.ts).

import { workerData } from "node:worker_threads";
import Database from "libsql";
import { serveThread } from "../threads/serve-thread.js";
import type { CheckpointerInit, CheckpointResult } from "./background-checkpointer.js";

serveThread(
  () => {
    const init = workerData as CheckpointerInit;
    const db = new Database(init.path);
    for (const pragma of init.pragmas) db.exec(pragma);
    return { db, checkpoint: db.prepare("PRAGMA wal_checkpoint(PASSIVE)").raw() };
  },
  ({ db, checkpoint }, request) => {
    switch (request.op) {
      case "checkpoint": {
        // [busy, pages in the WAL, pages of it now in the database file]
        const [busy, walPages, checkpointedPages] = checkpoint.get() as [number, number, number];
        return { busy: busy === 1, walPages, checkpointedPages } satisfies CheckpointResult;
      }
      case "close":
        db.close();
        return null;
      default:
        throw new Error(`unknown op ${request.op}`);
    }
  },
);
