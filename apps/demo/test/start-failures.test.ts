// What an operator sees when the server cannot start: one line on stderr saying why, exit 1, no
// stack trace anywhere, and never a server that starts on a database it cannot write.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ChildRun, runMain } from "./helpers/child-server.js";

const dir = mkdtempSync(join(tmpdir(), "batchlog-start-"));
// Other users must reach the directories below (the child runs as nobody when we are root).
chmodSync(dir, 0o755);
afterAll(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

async function expectOneLineFailure(run: ChildRun, pattern: RegExp): Promise<void> {
  const { code } = await run.exited;
  expect(run.stderr()).toMatch(pattern);
  expect(run.stderr().trimEnd().split("\n"), run.stderr()).toHaveLength(1);
  expect(code).toBe(1);
  // Neither stream carries a stack trace ("    at fn (file:1:2)"), not even inside the JSON log.
  expect(run.stdout() + run.stderr()).not.toMatch(/\s+at .*:\d+:\d+/);
  expect(run.stdout()).toContain('"msg":"cannot start"');
}

describe("starting the server", () => {
  it("Should say which address is taken when the port is in use", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = runMain([], {
        BATCHLOG_PORT: String(port),
        BATCHLOG_DB_URL: `file:${join(dir, "port.db")}`,
      });
      await expectOneLineFailure(
        run,
        new RegExp(`^batchlog: cannot start: 127\\.0\\.0\\.1:${port} is already in use \\(choose another`),
      );
    } finally {
      blocker.close();
    }
  });
});
