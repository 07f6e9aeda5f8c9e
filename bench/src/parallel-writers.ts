import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { BULK_INSERT_SQL, storagePragmas } from "./raw-driver.js";

// Plain CommonJS evaluated in each thread: no TypeScript loader needed there.
const THREAD_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.libsql);
const db = new Database(workerData.path);
for (const pragma of workerData.pragmas) db.exec(pragma);
const insert = db.prepare(workerData.sql);
const rows = workerData.rows;
let next = 0;
let written = 0;
const started = performance.now();
while (performance.now() - started < workerData.durationMs) {
  const offset = (next++ * 1000) % (rows.length - 1000);
  db.exec("BEGIN IMMEDIATE");
  insert.run("[" + rows.slice(offset, offset + 1000).join(",") + "]");
  db.exec("COMMIT");
  written += 1000;
}
const seconds = (performance.now() - started) / 1000;
db.close();
parentPort.postMessage(written / seconds);
`;

/**
 * The machine's own write capacity: one thread per database file, all writing at once, each the
 * raw driver with the storage's pragmas and 1000-row one-statement transactions. Rows/s per thread.
 */
export async function writeInParallel(
  paths: readonly string[],
  rows: readonly string[],
  durationMs: number,
): Promise<number[]> {
  const libsql = createRequire(import.meta.url).resolve("libsql");
  const pragmas = storagePragmas("full");
  return Promise.all(
    paths.map(
      (path) =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(THREAD_CODE, {
            eval: true,
            workerData: { libsql, path, pragmas, sql: BULK_INSERT_SQL, rows, durationMs },
          });
          worker.once("message", resolve);
          worker.once("error", reject);
        }),
    ),
  );
}
