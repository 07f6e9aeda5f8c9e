/**
 * A remote libSQL server committed a batch but its answer was lost, and the storage gave up on it
 * (maxAttempts 1): the item's error must not invite a resend, which could store it twice. Uses the
 * storage package's real sqld harness and answer-losing proxy.
 */
import { type LogStorage, openLogStorage } from "@batchlog/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqldServer, skipWithoutSqld } from "../../storage/test/helpers/sqld.js";
import { FlakyProxy } from "../../storage/test/remote/flaky-proxy.js";
import { createLogService } from "../src/index.js";
import { json } from "./helpers/service.js";

const skip = skipWithoutSqld("service remote-lost-answer");

describe.skipIf(skip)("an item whose remote write may have committed", () => {
  let server: SqldServer;
  let proxy: FlakyProxy;
  let storage: LogStorage;
  beforeAll(async () => {
    server = await SqldServer.start();
    proxy = await FlakyProxy.start(server.port);
    // One entry per batch, so that one request spans a lost answer and a good commit.
    storage = await openLogStorage({ url: proxy.url("http"), maxBatchSize: 1, retry: { maxAttempts: 1 } });
  });
  afterAll(async () => {
    await storage?.close().catch(() => undefined);
    await proxy?.close();
    await server?.dispose();
  });

  it("is reported with retryable: false, and the items after it are stored", async () => {
    await storage.store({ message: "warm-up" });
    const service = createLogService({ storage });
    const cut = proxy.loseNextAnswer(300);
    const pending = service.ingestNative(
      json([{ message: "answer lost" }, { message: "stored after" }]),
      "application/json",
    );
    await cut;
    const result = await pending;
    expect(result.accepted).toBe(1);
    expect(result.errors).toMatchObject([{ index: 0, code: "BATCHLOG_UNAVAILABLE", retryable: false }]);
    expect(result.errors[0]?.error).toMatch(/may have been written, once/);
    await service.close();
  });
});
