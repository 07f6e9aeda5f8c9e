import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BatchConfigInput, type LogStorage, openLogStorage } from "@batchlog/storage";

export const IMPLEMENTATIONS = ["batched", "direct"] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];

export interface TempStorage {
  storage: LogStorage;
  path: string;
  /** Closes the storage (if still open) and removes the temp directory. */
  dispose(): Promise<void>;
}

/** A real libSQL file in a fresh temp directory, opened with the given implementation. */
export async function openTempStorage(
  implementation: Implementation,
  config: Omit<BatchConfigInput, "url" | "implementation"> = {},
): Promise<TempStorage> {
  const dir = mkdtempSync(join(tmpdir(), "batchlog-service-"));
  const path = join(dir, "test.db");
  const storage = await openLogStorage({
    url: `file:${path}`,
    implementation,
    maxBatchDelayMs: 2,
    synchronous: "normal",
    ...config,
  });
  return {
    storage,
    path,
    async dispose() {
      await storage.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
