/**
 * Embedded replicas (`file:` + `syncUrl`): reads from a local copy, writes forwarded to sqld.
 * Measures the consistency a reader gets: the writing replica reads its own writes at once
 * (libSQL's read-your-writes); another replica sees them after its next sync.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LogStorage, openLogStorage, StorageUnavailableError } from "../../src/index.js";
import { captureLogs } from "../helpers/log-capture.js";
import { SqldServer, skipWithoutSqld } from "../helpers/sqld.js";
import { readAllRows } from "./remote-db.js";

const skip = skipWithoutSqld("replica");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skip)("embedded replicas of a sqld database", () => {
  let server: SqldServer;
  let dir: string;
  const open: LogStorage[] = [];
  const replica = async (name: string, syncUrl: string, extra: { syncIntervalSec?: number } = {}) => {
    const storage = await openLogStorage({
      url: `file:${join(dir, `${name}.db`)}`,
      syncUrl,
      syncIntervalSec: 1,
      retry: { initialDelayMs: 20, maxDelayMs: 200 },
      ...extra,
    });
    open.push(storage);
    return storage;
  };
  beforeAll(async () => {
    server = await SqldServer.start();
    dir = mkdtempSync(join(tmpdir(), "batchlog-replica-"));
  });
  afterAll(async () => {
    for (const storage of open) await storage.close().catch(() => undefined);
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("forwards writes to the server; the writer reads its own writes, another replica after a sync", async () => {
    const a = await replica("a", server.httpUrl);
    const b = await replica("b", server.wsUrl); // a ws:// server url works too (synced over http)
    const id = await a.store({ message: "hello from replica a" });
    // read-your-writes on the writing replica: visible at once, before any periodic sync
    expect((await a.search({ text: "hello" })).entries.map((e) => e.id)).toEqual([id]);
    // on the server at once
    expect((await readAllRows(server.httpUrl)).map((r) => r.id)).toContain(id);
    // the other replica: only after its next sync (syncIntervalSec: 1)
    const started = performance.now();
    let lagMs = -1;
    while (performance.now() - started < 5000) {
      if ((await b.search({ text: "hello" })).entries.length > 0) {
        lagMs = performance.now() - started;
        break;
      }
      await sleep(10);
    }
    expect(lagMs).toBeGreaterThanOrEqual(0);
    expect(lagMs).toBeLessThan(2500);
    console.info(`[replica] another replica saw the write after ${Math.round(lagMs)} ms (syncIntervalSec 1)`);

    const ids = await a.storeMany(Array.from({ length: 1500 }, (_, i) => ({ message: `bulk ${i}` })));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1);
    expect((await a.getRecent(1))[0]!.id).toBe(ids.at(-1));
    expect(await a.cleanup({ maxEntries: 100 })).toBe(1401);
    expect((await readAllRows(server.httpUrl)).length).toBe(100);
  });

  it("keeps serving reads while the server is down; queued writes commit once it is back", async () => {
    const c = await replica("c", server.httpUrl);
    const before = (await c.search({ limit: 1000 })).entries.length;
    expect(before).toBe(100);
    await server.kill();
    expect((await c.search({ limit: 1000 })).entries).toHaveLength(before);
    const pending = c.store({ message: "written during the outage" });
    await sleep(400);
    expect(c.health().status).toBe("degraded");
    expect(c.health().reasons.join(" ")).not.toMatch(/Stack backtrace/);
    await server.restart();
    const id = await pending;
    expect(c.health().status).toBe("ok");
    expect((await c.search({ text: "outage" })).entries.map((e) => e.id)).toEqual([id]);
    const onServer = (await readAllRows(server.httpUrl)).filter(
      (r) => r.message === "written during the outage",
    );
    expect(onServer.map((r) => r.id)).toEqual([id]);
  });

  it("cannot be opened while the server is down (the first sync happens at open)", async () => {
    await server.kill();
    try {
      const error = await replica("d", server.httpUrl).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).toMatch(/Connection refused|connect/i);
    } finally {
      await server.restart();
    }
  });
});

describe.skipIf(skip)("an embedded replica opened while sqld's snapshot is not ready", () => {
  let server: SqldServer;
  let dir: string;
  beforeAll(async () => {
    // A 1 MB replication log: sqld compacts it into snapshots, which a new replica must load.
    server = await SqldServer.start({ args: ["--max-log-size", "1"] });
    dir = mkdtempSync(join(tmpdir(), "batchlog-replica-snapshot-"));
  });
  afterAll(async () => {
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("waits for the snapshot ('snapshot not found' is sqld still writing it) and opens with every entry", async () => {
    const writer = await openLogStorage({ url: server.httpUrl });
    const payload = "x".repeat(2000);
    let lastId = 0;
    for (let round = 0; round < 3; round++) {
      const ids = await writer.storeMany(
        Array.from({ length: 1500 }, (_, i) => ({ message: `round ${round} entry ${i} ${payload}` })),
      );
      lastId = ids.at(-1)!;
    }
    await writer.close();
    // Compaction runs in the background: wait until sqld has written its snapshots and stopped.
    const snapshots = join(server.dir, "data.sqld", "dbs", "default", "snapshots");
    const started = performance.now();
    let files: string[] = [];
    for (let seen = -1; performance.now() - started < 10_000; await sleep(300)) {
      files = existsSync(snapshots) ? readdirSync(snapshots) : [];
      if (files.length > 0 && files.length === seen) break;
      seen = files.length;
    }
    expect(files.length).toBeGreaterThan(0);

    // sqld's state between compacting its log and renaming the new snapshot into place: the
    // replica is told to load a snapshot, and the server answers "snapshot not found".
    const aside = join(dir, "snapshots-being-written");
    mkdirSync(aside);
    for (const file of files) renameSync(join(snapshots, file), join(aside, file));
    const logs = captureLogs();
    const opening = openLogStorage({
      url: `file:${join(dir, "replica.db")}`,
      syncUrl: server.httpUrl,
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
      logger: logs.logger,
    });
    let settled = false;
    opening.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Put the snapshot in place once the open has been told it is missing (or has given up).
    while (!settled && !logs.lines.some((l) => /snapshot/.test(l.msg))) await sleep(10);
    for (const file of files) renameSync(join(aside, file), join(snapshots, file));

    const replica = await opening;
    try {
      expect((await replica.getRecent(1))[0]?.id).toBe(lastId);
      const retries = logs.lines.filter((l) => /snapshot/.test(l.msg));
      expect(retries.length).toBeGreaterThan(0);
      expect(String(retries[0]!.reason)).toMatch(/snapshot not found/);
      expect(String(retries[0]!.reason)).not.toMatch(/MetadataMap/);
    } finally {
      await replica.close();
    }
  });
});
