/**
 * The remote path on a real sqld: migrations, skipped file-only pragmas and checkpoints, the FTS
 * switch, id order over http:// and ws://, row-by-row fallback, tokens (libsql:// + authToken),
 * the direct baseline, and the config rules for replicas.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createClient } from "@libsql/client";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  type LogStorage,
  openLogStorage,
  StorageUnavailableError,
  ValidationError,
} from "../../src/index.js";
import { ClientBatchWriter } from "../../src/writers/client-batch-writer.js";
import { rowsToWrite } from "../helpers/rows-to-write.js";
import { SqldServer, skipWithoutSqld } from "../helpers/sqld.js";
import { FlakyProxy } from "./flaky-proxy.js";
import { readAllRows, wipeRemote } from "./remote-db.js";

const skip = skipWithoutSqld("remote-storage");
const JOURNAL = JSON.parse(
  readFileSync(new URL("../../drizzle/meta/_journal.json", import.meta.url), "utf8"),
) as {
  entries: unknown[];
};

function captureLogs() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

async function query(url: string, sql: string, authToken?: string): Promise<unknown[][]> {
  const client = createClient({ url, ...(authToken !== undefined && { authToken }) });
  try {
    return (await client.execute(sql)).rows.map((r) => Array.from({ length: r.length }, (_, i) => r[i]));
  } finally {
    client.close();
  }
}

describe("replica configuration rules", () => {
  it("rejects syncUrl on a remote url and syncIntervalSec without syncUrl", async () => {
    const remote = await openLogStorage({ url: "http://127.0.0.1:1", syncUrl: "http://127.0.0.1:1" }).catch(
      (e: unknown) => e,
    );
    expect(remote).toBeInstanceOf(ConfigError);
    expect((remote as ConfigError).issues.map((i) => i.field)).toEqual(["syncUrl"]);
    const interval = await openLogStorage({ url: "file:/tmp/never-opened.db", syncIntervalSec: 5 }).catch(
      (e: unknown) => e,
    );
    expect(interval).toBeInstanceOf(ConfigError);
    expect((interval as ConfigError).issues.map((i) => i.field)).toEqual(["syncIntervalSec"]);
    const fileSync = await openLogStorage({
      url: "file:/tmp/never-opened.db",
      syncUrl: "file:/tmp/x.db",
    }).catch((e: unknown) => e);
    expect((fileSync as ConfigError).issues.map((i) => i.field)).toEqual(["syncUrl"]);
  });
});

describe.skipIf(skip)("storage on a libSQL server", () => {
  let server: SqldServer;
  let storage: LogStorage | undefined;
  beforeAll(async () => {
    server = await SqldServer.start();
  });
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
    await wipeRemote(server.httpUrl);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("applies the migrations remotely, once, and skips the file-only pragmas and checkpoints", async () => {
    const { logger, lines } = captureLogs();
    storage = await openLogStorage({ url: server.wsUrl, logger, checkpointIntervalMs: 50 });
    const migrations = await query(server.httpUrl, "SELECT count(*) FROM __drizzle_migrations");
    expect(Number(migrations[0]![0])).toBe(JOURNAL.entries.length);
    const objects = (await query(server.httpUrl, "SELECT name FROM sqlite_master ORDER BY name")).map((r) =>
      String(r[0]),
    );
    expect(objects).toEqual(
      expect.arrayContaining([
        "log_entries",
        "log_entries_fts",
        "log_entries_fts_insert",
        "log_entries_fts_delete",
      ]),
    );
    await storage.storeMany(Array.from({ length: 10 }, (_, i) => ({ message: `m ${i}` })));
    await new Promise((r) => setTimeout(r, 120)); // periodic checkpoints would have fired by now
    expect(storage.stats().walBytes).toBeNull();
    await storage.close();
    storage = await openLogStorage({ url: server.httpUrl, logger });
    const again = await query(server.httpUrl, "SELECT count(*) FROM __drizzle_migrations");
    expect(Number(again[0]![0])).toBe(JOURNAL.entries.length);
    expect((await storage.search({ limit: 100 })).entries).toHaveLength(10);
    await storage.close();
    storage = undefined;
    // nothing refused, nothing failed: no pragma was sent, no checkpoint attempted
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it("lets several processes open a fresh server database at once (migration race)", async () => {
    const opened = await Promise.all(
      (["http", "ws", "http", "ws"] as const).map((protocol, i) =>
        openLogStorage({ url: server.url(protocol), implementation: i % 2 === 0 ? "batched" : "direct" }),
      ),
    );
    try {
      const migrations = await query(server.httpUrl, "SELECT count(*) FROM __drizzle_migrations");
      expect(Number(migrations[0]![0])).toBe(JOURNAL.entries.length);
      const ids = await Promise.all(opened.map((s, i) => s.store({ message: `opened ${i}` })));
      expect(new Set(ids).size).toBe(4);
    } finally {
      for (const s of opened) await s.close();
    }
  });

  it("switches full text off and on remotely, rebuilding the index", async () => {
    storage = await openLogStorage({ url: server.wsUrl, fullText: false });
    await storage.storeMany([{ message: "written while the index was off" }, { message: "another one" }]);
    await expect(storage.search({ text: "index" })).rejects.toBeInstanceOf(ValidationError);
    expect(await query(server.httpUrl, "SELECT name FROM sqlite_master WHERE type = 'trigger'")).toEqual([]);
    await storage.close();
    storage = await openLogStorage({ url: server.wsUrl, fullText: true });
    const found = await storage.search({ text: "index" });
    expect(found.entries.map((e) => e.message)).toEqual(["written while the index was off"]);
  });

  for (const protocol of ["http", "ws"] as const) {
    it(`returns ids in order over ${protocol}:// (store and storeMany, several batches)`, async () => {
      storage = await openLogStorage({ url: server.url(protocol), maxBatchSize: 1000 });
      const s = storage;
      const singles = Array.from({ length: 300 }, (_, i) => s.store({ message: `single ${i}` }));
      const many = s.storeMany(Array.from({ length: 2500 }, (_, i) => ({ message: `many ${i}` })));
      const more = Array.from({ length: 300 }, (_, i) => s.store({ message: `later ${i}` }));
      const ids = [...(await Promise.all(singles)), ...(await many), ...(await Promise.all(more))];
      expect(ids).toHaveLength(3100);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
      const rows = await readAllRows(server.httpUrl);
      const messages = [
        ...Array.from({ length: 300 }, (_, i) => `single ${i}`),
        ...Array.from({ length: 2500 }, (_, i) => `many ${i}`),
        ...Array.from({ length: 300 }, (_, i) => `later ${i}`),
      ];
      expect(rows.map((r) => r.id)).toEqual(ids);
      expect(rows.map((r) => r.message)).toEqual(messages);
    });
  }

  it("refuses only the bad rows of a batch, row by row, on the server", async () => {
    storage = await openLogStorage({ url: server.wsUrl }); // migrates
    const client = createClient({ url: server.wsUrl });
    try {
      const writer = new ClientBatchWriter(client, { manageWal: false });
      // Rows that skipped validation: level 9 and an over-long source violate the table's CHECKs.
      const result = await writer.write(
        rowsToWrite([
          [1, 3, "api", "good 1", null],
          [2, 9, "api", "bad level", null],
          [3, 3, "s".repeat(300), "bad source", null],
          [4, 3, "api", "good 2", null],
        ]),
      );
      expect(result.ok).toBe(true);
      const outcomes = result.ok && "outcomes" in result ? result.outcomes : [];
      expect(outcomes.map((o) => typeof o)).toEqual(["number", "object", "object", "number"]);
      expect(JSON.stringify(outcomes[1])).toMatch(/CHECK constraint failed/);
      const rows = await readAllRows(server.httpUrl);
      expect(rows.map((r) => r.message)).toEqual(["good 1", "good 2"]);
      expect(rows.map((r) => r.id)).toEqual([outcomes[0], outcomes[3]]);
    } finally {
      client.close();
    }
  });

  it("row by row too: a lost answer to the COMMIT is resolved from the write token, not rewritten", async () => {
    storage = await openLogStorage({ url: server.httpUrl }); // migrates
    const proxy = await FlakyProxy.start(server.port);
    const client = createClient({ url: proxy.url("http") });
    try {
      const writer = new ClientBatchWriter(client, { manageWal: false });
      const rows = rowsToWrite([
        [1, 3, "api", "isolated good 1", null],
        [2, 9, "api", "isolated bad", null],
        [3, 3, "api", "isolated good 2", null],
      ]);
      // the multi-row batch fails for its content; the row-by-row transaction's COMMIT then
      // commits on the server but its answer never arrives
      const cut = proxy.loseNextAnswer(
        200,
        // over HTTP, the interactive transaction's requests carry its stream's baton
        (request) => request.includes('"baton"') && request.includes('"sql":"COMMIT"'),
      );
      const first = await writer.write(rows);
      await cut;
      expect(first.ok).toBe(false);
      expect((await readAllRows(server.httpUrl)).map((r) => r.message)).toEqual([
        "isolated good 1",
        "isolated good 2",
      ]);
      // the queue retries the same rows: the writer finds its token and returns the outcomes
      const second = await writer.write(rows);
      expect(second.ok).toBe(true);
      const outcomes = second.ok && "outcomes" in second ? second.outcomes : [];
      const stored = await readAllRows(server.httpUrl);
      expect(stored.map((r) => r.message)).toEqual(["isolated good 1", "isolated good 2"]);
      expect([outcomes[0], outcomes[2]]).toEqual(stored.map((r) => r.id));
      expect(JSON.stringify(outcomes[1])).toMatch(/CHECK constraint failed/);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it("prunes old write tokens", async () => {
    storage = await openLogStorage({ url: server.wsUrl });
    await storage.store({ message: "creates the token table" });
    await query(
      server.httpUrl,
      "INSERT INTO batchlog_write_tokens (token, last_id, row_count, committed_at) VALUES ('ancient', 1, 1, 0)",
    );
    await storage.close();
    storage = await openLogStorage({ url: server.wsUrl });
    await storage.store({ message: "a new writer prunes on its first batch" });
    const tokens = await query(
      server.httpUrl,
      "SELECT token, row_count FROM batchlog_write_tokens ORDER BY committed_at",
    );
    expect(tokens.map((t) => t[0])).not.toContain("ancient");
    expect(tokens).toHaveLength(2);
  });

  it("direct baseline: store, storeMany order, search, cleanup and close over ws://", async () => {
    storage = await openLogStorage({ url: server.wsUrl, implementation: "direct" });
    const ids = await storage.storeMany(
      Array.from({ length: 40 }, (_, i) => ({ message: `direct ${i}`, timestamp: 1_700_000_000_000 + i })),
    );
    expect(new Set(ids).size).toBe(40);
    const found = await storage.search({ text: "direct", limit: 1000 });
    expect(found.entries).toHaveLength(40);
    expect(found.entries[0]!.message).toBe("direct 39");
    expect(await storage.cleanup({ maxEntries: 10 })).toBe(30);
    expect((await storage.search({ limit: 1000 })).entries).toHaveLength(10);
    expect(storage.health().status).toBe("ok");
  });
});

describe.skipIf(skip)("libsql:// with an auth token", () => {
  let server: SqldServer;
  beforeAll(async () => {
    server = await SqldServer.start({ auth: true });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("works with the token over libsql:// and ws://, and fails clearly without it", async () => {
    const token = server.token();
    for (const url of [server.url("libsql"), server.wsUrl]) {
      const storage = await openLogStorage({ url, authToken: token });
      try {
        const id = await storage.store({ message: `authorized via ${url}` });
        expect((await storage.search({ text: "authorized" })).entries.map((e) => e.id)).toContain(id);
        expect(storage.health().status).toBe("ok");
      } finally {
        await storage.close();
      }
    }
    const rows = await query(server.httpUrl, "SELECT count(*) FROM log_entries", token);
    expect(Number(rows[0]![0])).toBe(2);

    // an embedded replica of the protected server: the same token authorizes its syncs and writes
    const dir = mkdtempSync(join(tmpdir(), "batchlog-auth-replica-"));
    try {
      const replica = await openLogStorage({
        url: `file:${join(dir, "replica.db")}`,
        syncUrl: server.httpUrl,
        authToken: token,
      });
      try {
        const id = await replica.store({ message: "authorized replica write" });
        expect((await replica.search({ text: "authorized", limit: 10 })).entries).toHaveLength(3);
        expect(id).toBeGreaterThan(2);
      } finally {
        await replica.close();
      }
      const unauthorized = await openLogStorage({
        url: `file:${join(dir, "other.db")}`,
        syncUrl: server.httpUrl,
      }).catch((e: unknown) => e);
      expect(unauthorized).toBeInstanceOf(StorageUnavailableError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const missing = await openLogStorage({ url: server.url("libsql") }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(StorageUnavailableError);
    expect((missing as Error).message).toMatch(/401|unauthori[sz]ed/i);
    const forged = await openLogStorage({
      url: server.url("libsql"),
      authToken: `${token.slice(0, -4)}AAAA`,
    }).catch((e: unknown) => e);
    expect(forged).toBeInstanceOf(StorageUnavailableError);
  });
});
