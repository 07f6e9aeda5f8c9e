import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh directory under the OS temp dir for one test file; `cleanup()` deletes it. */
export function makeTempDir(prefix = "batchlog-test-"): {
  dir: string;
  /** `file:` URL of a database file in the directory. */
  url: (name: string) => string;
  path: (name: string) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    url: (name) => `file:${join(dir, name)}`,
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
