import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temp directory per call; `cleanup()` removes it. */
export function makeTempDir(prefix = "batchlog-test-"): {
  dir: string;
  url: (name?: string) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    url: (name = "logs.db") => `file:${join(dir, name)}`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
