// What an operator sees when the server cannot start: one line on stderr saying why, exit 1, no
// stack trace anywhere, and never a server that starts on a database it cannot write.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { openLogStorage } from "@batchlog/storage";
import { afterAll, describe, expect, it } from "vitest";
import { describeStartFailure } from "../src/start-failure.js";
import { type ChildRun, runMain } from "./helpers/child-server.js";

const dir = mkdtempSync(join(tmpdir(), "batchlog-start-"));
// Other users must reach the directories below (the child runs as nobody when we are root).
chmodSync(dir, 0o755);
afterAll(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

// Root may write anything: the server then runs as nobody, for whom the read-only modes hold.
const asOtherUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

/**
 * As root, nobody must be able to reach the sources it runs: a checkout under a directory only
 * root may enter (mktemp -d makes 0700 ones) cannot be tested this way, and says so.
 */
function whyNobodyCannotRun(): string | undefined {
  if (asOtherUser === undefined) return undefined;
  for (let at = fileURLToPath(new URL("..", import.meta.url)); ; at = dirname(at)) {
    if ((statSync(at).mode & 0o005) !== 0o005) return `${at} is closed to other users`;
    if (dirname(at) === at) return undefined;
  }
}
const skipAsNobody = whyNobodyCannotRun();
if (skipAsNobody !== undefined)
  console.warn(`[start-failures] unwritable-path tests SKIPPED: ${skipAsNobody}`);

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

  it.skipIf(skipAsNobody !== undefined)("Should name a data directory it cannot write", async () => {
    const readOnlyDir = join(dir, "read-only-dir");
    mkdirSync(readOnlyDir, { mode: 0o555 });
    chmodSync(readOnlyDir, 0o555);
    const run = runMain(["--port", "0", "--db-url", `file:${join(readOnlyDir, "logs.db")}`], {}, asOtherUser);
    await expectOneLineFailure(
      run,
      new RegExp(
        `^batchlog: cannot start: cannot open file:.*: the directory ${readOnlyDir} is not writable`,
      ),
    );
  });

  it.skipIf(skipAsNobody !== undefined)(
    "Should refuse to start on a database file it may only read, instead of failing every write",
    async () => {
      const filesDir = join(dir, "read-only-file");
      mkdirSync(filesDir, { mode: 0o777 });
      chmodSync(filesDir, 0o777);
      const file = join(filesDir, "logs.db");
      const storage = await openLogStorage({ url: `file:${file}`, diskReserveBytes: 0 });
      await storage.store({ message: "written before the file became read-only" });
      await storage.close();
      chmodSync(file, 0o444);
      const run = runMain(["--port", "0", "--db-url", `file:${file}`], {}, asOtherUser);
      const exitedOrListening = await Promise.race([
        run.exited.then(() => "exited"),
        new Promise<string>((resolve) =>
          run.child.stdout?.on("data", () => {
            if (run.stdout().includes("batchlog is listening")) resolve("listening");
          }),
        ),
      ]);
      if (exitedOrListening === "listening") run.child.kill("SIGTERM");
      await expectOneLineFailure(
        run,
        new RegExp(`^batchlog: cannot start: .*the file ${file} is not writable`),
      );
    },
  );

  it("Should never print a password or token carried in the database URL", async () => {
    const closed: Server = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    for (const url of [
      `http://127.0.0.1:${port}?authToken=URLSECRET789`,
      `http://admin:PASSWD321@127.0.0.1:${port}`,
    ]) {
      const run = runMain(["--port", "0", "--db-url", url], {});
      await expectOneLineFailure(run, /^batchlog: cannot start: cannot open http:\/\/.*\(hidden\)/);
      expect(run.stdout() + run.stderr()).not.toMatch(/URLSECRET789|PASSWD321/);
    }
    // refused by the configuration check, which quotes the value back
    const bad = runMain(["--db-url", "ftp://h/x?authToken=CFGSECRET333"], {});
    const { code } = await bad.exited;
    expect(code).toBe(2); // a configuration error
    expect(bad.stderr()).toContain('--db-url="ftp://h/x?authToken=(hidden)"');
    expect(bad.stdout() + bad.stderr()).not.toContain("CFGSECRET333");
  });

  it("Should name --db-recover when the database file is damaged", async () => {
    const file = join(dir, "not-a-database.db");
    writeFileSync(
      file,
      "this is not an SQLite file, it is a text file long enough to have a header".repeat(20),
    );
    const run = runMain(["--port", "0", "--db-url", `file:${file}`], {});
    await expectOneLineFailure(run, /--db-recover, or BATCHLOG_DB_RECOVER=true, moves it aside/);
    // a port in use is not a damaged file: no such hint
    expect(
      describeStartFailure(Object.assign(new Error("x"), { syscall: "listen", code: "EADDRINUSE" }), {
        host: "127.0.0.1",
        port: 1,
      }).reason,
    ).not.toContain("--db-recover");
  });

  it("Should say a listen host that does not resolve is the configuration's, not a bug with a stack", async () => {
    const run = runMain(
      ["--port", "0", "--host", "nonexistent.invalid", "--db-url", `file:${join(dir, "host.db")}`],
      {},
    );
    await expectOneLineFailure(
      run,
      /^batchlog: cannot start: nonexistent\.invalid does not resolve .*BATCHLOG_HOST/,
    );
  });
});
