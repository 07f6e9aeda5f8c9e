import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openLogStorage } from "@batchlog/storage";
import Database from "libsql";
import { cacheDir, createRandom, makeEntry } from "./fixtures.js";
import { encodeRow, INSERT_SQL, storagePragmas } from "./raw-driver.js";

/** The fixture's newest entry: fixed, so cached files and queries agree across runs. */
export const FIXTURE_END_MS = Date.UTC(2026, 0, 1);
/** Entries are spread evenly over the 7 days before FIXTURE_END_MS. */
export const FIXTURE_SPAN_MS = 7 * 24 * 3600 * 1000;
const GENERATOR_VERSION = 1;
const CHUNK = 10_000;

const MIGRATIONS = join(import.meta.dirname, "..", "..", "packages", "storage", "drizzle");

/** Changes when the schema or the generator does, so a stale cache is rebuilt, not reused. */
function fixtureKey(entries: number): string {
  const hash = createHash("sha256").update(String(GENERATOR_VERSION));
  for (const file of readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    hash.update(readFileSync(join(MIGRATIONS, file)));
  }
  return `reads-${entries}-${hash.digest("hex").slice(0, 10)}.db`;
}

/**
 * The read-at-scale store, built once and cached under bench/.cache/: the storage migrates an
 * empty file with FTS off, the raw driver inserts `entries` rows in time order (fast path), then
 * reopening the storage with FTS on re-creates the triggers and rebuilds the index, as a user
 * switching `fullText` back on would.
 */
export async function readFixture(
  entries: number,
  progress: (message: string) => void,
): Promise<{ path: string; built: boolean }> {
  const path = join(cacheDir(), fixtureKey(entries));
  if (existsSync(path)) return { path, built: false };
  const building = `${path}.building`;
  for (const suffix of ["", "-wal", "-shm", ".reserve"]) rmSync(building + suffix, { force: true });
  await (await openLogStorage({ url: `file:${building}`, fullText: false })).close();

  const started = performance.now();
  const db = new Database(building);
  try {
    for (const pragma of storagePragmas("normal")) db.exec(pragma);
    const insert = db.prepare(INSERT_SQL);
    const r = createRandom(7);
    const step = FIXTURE_SPAN_MS / entries;
    const start = FIXTURE_END_MS - FIXTURE_SPAN_MS;
    const chunk = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++)
        insert.run(...encodeRow(makeEntry(r, Math.round(start + (i + 1) * step)), 0));
    });
    for (let i = 0; i < entries; i += CHUNK) {
      chunk(i, Math.min(entries, i + CHUNK));
      if (i % 200_000 === 0) progress(`building the ${entries}-entry read fixture: ${i} rows inserted`);
    }
  } finally {
    db.close();
  }
  progress(
    `inserted ${entries} rows in ${((performance.now() - started) / 1000).toFixed(1)} s; rebuilding the FTS index`,
  );
  await (await openLogStorage({ url: `file:${building}`, fullText: true })).close();
  progress(`fixture ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const suffix of ["-wal", "-shm", ".reserve"]) rmSync(building + suffix, { force: true });
  renameSync(building, path);
  return { path, built: true };
}
