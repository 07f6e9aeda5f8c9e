import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, createClient } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import type { BatchConfig } from "./config.js";
import { isRemoteUrl } from "./config.js";
import { syncFieldIndexes } from "./field-indexes.js";
import { clientFileUrl, filePathOf } from "./file-url.js";
import { syncFullTextTriggers } from "./full-text.js";
import * as schema from "./schema.js";
import { assertWritable } from "./writable-path.js";
import { connectionPragmas } from "./writers/pragmas.js";

export type Db = LibSQLDatabase<typeof schema>;

const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

/** Requests in flight at once on a libSQL server (reads beside the one batch being written). */
const REMOTE_CONCURRENCY = 8;

export interface OpenedDatabase {
  client: Client;
  db: Db;
  /** Local file path, or null for a libSQL server. */
  path: string | null;
}

/**
 * Opens a client with this storage's pragmas on its (single) connection. Local clients keep one
 * connection so that per-connection pragmas such as `synchronous` hold for every statement.
 * On a libSQL server the batched storage lets requests run side by side, so that a search does
 * not queue behind a batch commit (the queue still keeps one batch in flight); the direct
 * baseline stays at one, which keeps the ids of a storeMany in input order.
 */
export function openClient(config: BatchConfig): OpenedDatabase {
  const remote = isRemoteUrl(config.url);
  const path = remote ? null : filePathOf(config.url);
  if (path !== null) {
    mkdirSync(dirname(path), { recursive: true });
    assertWritable(path);
  }
  const client = createClient({
    url: path !== null ? clientFileUrl(path) : config.url,
    ...(config.authToken !== undefined && { authToken: config.authToken }),
    ...(config.syncUrl !== undefined && { syncUrl: replicaSyncUrl(config.syncUrl) }),
    ...(config.syncIntervalSec !== undefined && { syncInterval: config.syncIntervalSec }),
    timeout: config.busyTimeoutMs,
    concurrency: remote && config.implementation === "batched" ? REMOTE_CONCURRENCY : 1,
  });
  return { client, db: drizzle(client, { schema }), path };
}

/**
 * An embedded replica syncs over HTTP (`libsql://` means https): a `ws(s)://` server URL, which the
 * replica refuses ("unsupported scheme ws"), is the same server, so use its http(s) form.
 */
export function replicaSyncUrl(url: string): string {
  return url.replace(/^ws(s?):\/\//, "http$1://");
}

/** Applies pragmas (local files only: servers refuse them), pending migrations and the FTS switch. */
export async function prepareDatabase(opened: OpenedDatabase, config: BatchConfig): Promise<void> {
  if (opened.path !== null && config.syncUrl === undefined) {
    // A new file returns the pages retention frees (cleanup → incremental_vacuum). The mode is
    // fixed once the file has pages: it must come before journal_mode=WAL writes the header.
    const pages = await opened.client.execute("PRAGMA page_count");
    if (Number(pages.rows[0]?.[0] ?? 1) === 0)
      await opened.client.execute("PRAGMA auto_vacuum = INCREMENTAL");
    for (const pragma of connectionPragmas(config)) await opened.client.execute(pragma);
  }
  await migrateRacing(opened.db);
  await syncFullTextTriggers(opened.client, config.fullText);
  await syncFieldIndexes(opened.client, config.indexedFields);
}

/**
 * drizzle's migrate() reads the last applied migration, then applies the rest in one transaction.
 * Two processes opening one fresh server database at once (several ingest nodes) both see it
 * empty; the second one's transaction fails with "table … already exists" and rolls back. Look
 * again: the winner's migrations are recorded by then, so there is nothing left to apply.
 */
async function migrateRacing(db: Db): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      return;
    } catch (error) {
      const e = error as Error & { cause?: { message?: string } };
      const text = `${e.message} ${e.cause?.message ?? ""}`;
      if (attempt >= 5 || !/already exists/i.test(text)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50));
    }
  }
}
