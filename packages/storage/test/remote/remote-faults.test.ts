/**
 * Transient failures of a libSQL server: sqld killed with SIGKILL and restarted during
 * ingestion, answers lost after the server committed, connection refused. Every acknowledged
 * entry must be there exactly once; nothing is ever written twice; health follows the server.
 */
import { createClient } from "@libsql/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type LogStorage,
  openLogStorage,
  StorageUnavailableError,
  WriteTimeoutError,
} from "../../src/index.js";
import { SqldServer, skipWithoutSqld } from "../helpers/sqld.js";
import { FlakyProxy } from "./flaky-proxy.js";
import { readAllRows, wipeRemote } from "./remote-db.js";

const skip = skipWithoutSqld("remote-faults");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function countMessage(url: string, message: string): Promise<{ count: number; ids: number[] }> {
  const client = createClient({ url });
  try {
    const r = await client.execute({ sql: "SELECT id FROM log_entries WHERE message = ?", args: [message] });
    return { count: r.rows.length, ids: r.rows.map((row) => Number(row[0])) };
  } finally {
    client.close();
  }
}

describe.skipIf(skip)("remote storage under server failures", () => {
  let server: SqldServer;
  let storage: LogStorage | undefined;
  let proxy: FlakyProxy | undefined;
  beforeAll(async () => {
    server = await SqldServer.start();
  });
  afterEach(async () => {
    if (!server.running) await server.restart();
    await storage?.close().catch(() => undefined);
    storage = undefined;
    await proxy?.close();
    proxy = undefined;
    await wipeRemote(server.httpUrl);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  for (const protocol of ["http", "ws"] as const) {
    it(`keeps every acknowledged entry exactly once across kill -9 and restarts of sqld (${protocol})`, async () => {
      storage = await openLogStorage({
        url: server.url(protocol),
        maxBatchSize: 500,
        retry: { initialDelayMs: 20, maxDelayMs: 200 },
      });
      const s = storage;
      const acked = new Map<number, number>();
      const rejected: unknown[] = [];
      const pending: Promise<void>[] = [];
      let produced = 0;
      let producing = true;
      const producer = (async () => {
        while (producing) {
          for (let j = 0; j < 50; j++) {
            const i = produced++;
            pending.push(
              s.store({ message: `entry ${i}`, source: "kill-test" }).then(
                (id) => void acked.set(i, id),
                (error: unknown) => void rejected.push(error),
              ),
            );
          }
          await sleep(3);
        }
      })();
      const seen: string[] = [];
      const sampler = setInterval(() => {
        const status = s.health().status;
        if (seen.at(-1) !== status) seen.push(status);
      }, 5);
      const downReasons: string[] = [];
      try {
        await sleep(250);
        for (let round = 0; round < 3; round++) {
          await server.kill();
          await sleep(300);
          const health = s.health();
          expect(health.status).toBe("degraded");
          downReasons.push(...health.reasons);
          await server.restart();
          await sleep(250);
        }
      } finally {
        producing = false;
        await producer;
        await Promise.all(pending);
        clearInterval(sampler);
      }
      const deadline = Date.now() + 5000;
      while (s.health().status !== "ok" && Date.now() < deadline) await sleep(20);
      expect(s.health().status).toBe("ok");
      expect(seen).toContain("degraded");
      expect(seen.at(-1)).toBe("ok");
      expect(downReasons.join(" ")).toMatch(/ECONNREFUSED|connect|closed|socket/i);
      expect(s.stats().retries).toBeGreaterThan(0);
      // Entries are only rejected by timeouts/giving up, which these settings do not reach.
      expect(rejected).toEqual([]);
      expect(acked.size).toBe(produced);

      const rows = await readAllRows(server.httpUrl);
      const byMessage = new Map<string, number[]>();
      for (const row of rows) byMessage.set(row.message, [...(byMessage.get(row.message) ?? []), row.id]);
      const duplicated = [...byMessage.entries()].filter(([, ids]) => ids.length > 1);
      expect(duplicated).toEqual([]);
      for (const [i, id] of acked) expect(byMessage.get(`entry ${i}`)).toEqual([id]);
      expect(rows.length).toBe(produced);
      // ids follow acknowledgement order for one writer: entry i+1 never gets a smaller id
      for (let i = 1; i < produced; i++) expect(acked.get(i)!).toBeGreaterThan(acked.get(i - 1)!);
    });

    it(`does not duplicate a batch whose commit succeeded but whose answer was lost (${protocol})`, async () => {
      proxy = await FlakyProxy.start(server.port);
      storage = await openLogStorage({
        url: proxy.url(protocol),
        // a slow first retry, so that we can look at the server before the storage retries
        retry: { initialDelayMs: 1500, maxDelayMs: 1500 },
      });
      await storage.store({ message: "warm-up" });
      const cut = proxy.loseNextAnswer(300);
      const entries = Array.from({ length: 1200 }, (_, i) => ({ message: `lost-answer ${i}` }));
      const stored = storage.storeMany(entries);
      await cut;
      // The server committed the batch; the client never heard back.
      expect((await countMessage(server.httpUrl, "lost-answer 0")).count).toBe(1);
      expect(storage.health().status).toBe("degraded");
      const ids = await stored;
      expect(storage.stats().retries).toBeGreaterThanOrEqual(1);
      expect(storage.health().status).toBe("ok");
      // ... and the retry found that out instead of inserting the 1200 rows again.
      const rows = await readAllRows(server.httpUrl);
      expect(rows).toHaveLength(1201);
      const idOf = new Map(rows.map((r) => [r.message, r.id]));
      expect(entries.map((e) => idOf.get(e.message))).toEqual(ids);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1);
    });
  }

  it("an entry that times out after its batch's answer was lost is not reported withdrawn: the server has it, once", async () => {
    proxy = await FlakyProxy.start(server.port);
    storage = await openLogStorage({
      url: proxy.url("http"),
      writeTimeoutMs: 600,
      // the retry comes after the timeout
      retry: { initialDelayMs: 4000, maxDelayMs: 4000 },
    });
    await storage.store({ message: "warm-up" });
    const cut = proxy.loseNextAnswer(300);
    const pending = storage.store({ message: "answer lost, then timed out" }).catch((e: unknown) => e);
    await cut;
    const error = await pending;
    expect(error).toBeInstanceOf(WriteTimeoutError);
    // The attempt committed on the server; the caller must not be told it never will be.
    expect((await countMessage(server.httpUrl, "answer lost, then timed out")).count).toBe(1);
    expect((error as WriteTimeoutError).withdrawn).toBe(false);
    expect((error as Error).message).toMatch(/may still commit/);
  });

  it("an entry given up on after its batch's answer was lost says it may have been written (a resend could store it twice)", async () => {
    proxy = await FlakyProxy.start(server.port);
    storage = await openLogStorage({ url: proxy.url("http"), retry: { maxAttempts: 1 } });
    await storage.store({ message: "warm-up" });
    const cut = proxy.loseNextAnswer(300);
    const pending = storage.store({ message: "answer lost, given up" }).catch((e: unknown) => e);
    await cut;
    const error = await pending;
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((await countMessage(server.httpUrl, "answer lost, given up")).count).toBe(1);
    expect((error as StorageUnavailableError).mayHaveCommitted).toBe(true);
    expect((error as Error).message).toMatch(/may have been written, once/);
  });

  it("direct storage: a write during an outage rejects with StorageUnavailableError, health recovers", async () => {
    storage = await openLogStorage({ url: server.url("ws"), implementation: "direct" });
    const first = await storage.store({ message: "before" });
    await server.kill();
    const error = await storage.store({ message: "during" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(storage.health().status).toBe("degraded");
    await server.restart();
    const after = await storage.store({ message: "after" });
    expect(after).toBeGreaterThan(first);
    expect(storage.health().status).toBe("ok");
    const messages = (await storage.search({})).entries.map((e) => e.message);
    expect(messages).toContain("before");
    expect(messages).toContain("after");
  });

  it("fails to open with a clear StorageUnavailableError while the server is down", async () => {
    await server.kill();
    const error = await openLogStorage({ url: server.httpUrl }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toContain(server.httpUrl);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });
});
