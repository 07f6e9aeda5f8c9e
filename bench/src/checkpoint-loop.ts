import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { storagePragmas } from "./raw-driver.js";

// Plain CommonJS evaluated in the thread: a PASSIVE checkpoint, then a 25 ms pause (the storage's
// checkpointer thread runs one after commits at most every 25 ms), until told to stop.
const THREAD_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.libsql);
const db = new Database(workerData.path);
for (const pragma of workerData.pragmas) db.exec(pragma);
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
let stop = false;
let checkpoints = 0;
parentPort.on("message", () => { stop = true; });
(function tick() {
  if (stop) { db.close(); parentPort.postMessage(checkpoints); return; }
  checkpoint.get();
  checkpoints++;
  setTimeout(tick, 25);
})();
`;

/**
 * What the storage's checkpointer thread does, around a raw-driver run: a thread with its own
 * connection checkpointing `path` while the caller writes. `stop()` resolves with the checkpoints run.
 */
export function startCheckpointLoop(path: string): { stop(): Promise<number> } {
  const libsql = createRequire(import.meta.url).resolve("libsql");
  const worker = new Worker(THREAD_CODE, {
    eval: true,
    workerData: { libsql, path, pragmas: storagePragmas("full") },
  });
  const done = new Promise<number>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    async stop() {
      worker.postMessage("stop");
      const checkpoints = await done;
      await worker.terminate(); // its port listener would keep it (and the bench) alive
      return checkpoints;
    },
  };
}
