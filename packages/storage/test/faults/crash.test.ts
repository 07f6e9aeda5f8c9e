import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killChildren } from "../helpers/child-process.js";
import { crashCycle } from "../helpers/crash-harness.js";
import { makeTempDir } from "../helpers/temp-dir.js";

// 2 settings × 2 databases × 5 cycles = 20 kills. The four streams run side by side: a cycle is
// mostly child start-up (~1 s of module loading), so overlapping them keeps the file near 30 s.
const STREAMS_PER_SETTING = 2;
const CYCLES_PER_STREAM = 5;

describe("crash: SIGKILL while 64 producers ingest at full speed", () => {
  const temp = makeTempDir("batchlog-faults-");
  afterAll(async () => {
    await killChildren();
    temp.cleanup();
  });

  for (const synchronous of ["full", "normal"] as const) {
    for (let stream = 0; stream < STREAMS_PER_SETTING; stream++) {
      it.concurrent(`synchronous=${synchronous} #${stream + 1}: ${CYCLES_PER_STREAM} kills, no acknowledged id lost, none twice, integrity ok`, async () => {
        // One database per stream, reused: every cycle also restarts on a file left by a kill.
        const dbPath = join(temp.dir, `crash-${synchronous}-${stream}.db`);
        let acknowledged = 0;
        for (let cycle = 0; cycle < CYCLES_PER_STREAM; cycle++) {
          const killAfterMs = Math.floor(Math.random() * 500);
          const result = await crashCycle({
            dbPath,
            runId: `${synchronous}${stream}-${cycle}`,
            synchronous,
            killAfterMs,
          });
          const where = `cycle ${cycle}, killed ${killAfterMs} ms after the first acknowledgement`;
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
          `[crash ${synchronous} #${stream + 1}] ${CYCLES_PER_STREAM} kills, ${acknowledged} acknowledged ids, 0 lost`,
        );
      }, 90_000);
    }
  }
});
