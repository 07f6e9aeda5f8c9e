/**
 * The LogStorage contract (test/contract.ts) a third time: against a real libSQL server (sqld).
 * Batched over ws:// and http:// always; the direct baseline too with BATCHLOG_REMOTE_FULL=1 — it
 * makes one round trip per entry, so the contract's 12k-entry cleanup test alone takes ~25 s over
 * ws (remote-direct.test.ts covers it in the default run). One sqld, wiped between tests.
 */
import { afterAll, beforeAll, describe } from "vitest";
import { describeStorageContract } from "../contract.js";
import { SqldServer, skipWithoutSqld } from "../helpers/sqld.js";
import { wipeRemote } from "./remote-db.js";

const skip = skipWithoutSqld("contract-sqld");
const full = process.env.BATCHLOG_REMOTE_FULL === "1";

describe.skipIf(skip)("on sqld", () => {
  let server: SqldServer;
  beforeAll(async () => {
    server = await SqldServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const runs: { protocol: "ws" | "http"; implementation: "batched" | "direct" }[] = [
    { protocol: "ws", implementation: "batched" },
    { protocol: "http", implementation: "batched" },
  ];
  if (full) runs.push({ protocol: "ws", implementation: "direct" });
  for (const { protocol, implementation } of runs) {
    describeStorageContract(`${implementation} on sqld over ${protocol}://`, {
      freshUrl: async () => {
        await wipeRemote(server.httpUrl);
        return server.url(protocol);
      },
      config: { implementation },
    });
  }
});
