import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killChildren } from "../helpers/child-process.js";
import { crashCycle } from "../helpers/crash-harness.js";
import { makeTempDir } from "../helpers/temp-dir.js";

// 2 × 10 cycles, the two settings side by side: ≥ 20 kills in well under a minute.
const CYCLES_PER_SETTING = 10;

describe("crash: SIGKILL while 64 producers ingest at full speed", () => {
  const temp = makeTempDir("batchlog-faults-");
  afterAll(async () => {
    await killChildren();
    temp.cleanup();
  });

  for (const synchronous of ["full", "normal"] as const) {
    it.concurrent(`synchronous=${synchronous}: ${CYCLES_PER_SETTING} kills, no acknowledged id lost, none twice, integrity ok`, async () => {
      // One database per setting, reused: every cycle also restarts on a file left by a kill.
      const dbPath = join(temp.dir, `crash-${synchronous}.db`);
      let acknowledged = 0;
      for (let cycle = 0; cycle < CYCLES_PER_SETTING; cycle++) {
        const killAfterMs = 150 + Math.floor(Math.random() * 600);
        const result = await crashCycle({
          dbPath,
          runId: `${synchronous}${cycle}`,
          synchronous,
          killAfterMs,
        });
        const where = `cycle ${cycle}, killed ${killAfterMs} ms after ready`;
        expect(result.integrity, where).toBe("ok");
        expect(result.missing, where).toEqual([]);
        expect(result.duplicateIds, where).toEqual([]);
        expect(result.duplicateMessages, where).toEqual([]);
        expect(result.acknowledged, where).toBeGreaterThan(0);
        // What is on disk can exceed what was acknowledged (the batch committed as the kill
        // landed) but never fall short of it.
        expect(result.stored, where).toBeGreaterThanOrEqual(result.acknowledged);
        acknowledged += result.acknowledged;
      }
      console.log(
        `[crash ${synchronous}] ${CYCLES_PER_SETTING} kills, ${acknowledged} acknowledged ids, 0 lost`,
      );
    }, 60_000);
  }
});
