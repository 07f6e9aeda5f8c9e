// `backup.js <file>`: a copy of the server's database taken from another process while the
// server runs, as an operator's cron job would; it holds what was acknowledged and opens.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScript } from "./helpers/child-server.js";
import { postJson, search, startTestServer, type TestServer } from "./helpers/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

const backup = async (args: string[], env: Record<string, string> = { BATCHLOG_DB_URL: server.dbUrl }) => {
  const run = runScript("src/backup.ts", args, env);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
};

describe("backup CLI", () => {
  it("Should copy the running server's database, every acknowledged entry in it, and refuse to overwrite", async () => {
    for (let i = 0; i < 4; i++) {
      const body = Array.from({ length: 500 }, (_, j) => ({ source: "cron", message: `line ${i}-${j}` }));
      expect((await postJson(server.url, "/api/logs", body)).status).toBe(201);
    }
    const to = join(server.dir, "copy.db");
    const first = await backup([to]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^batchlog: backup written to .*copy\.db: 2000 entries \(last id 2000\), [\d.]+ MiB, in [\d.]+ s\n$/,
    );

    // the server is untouched and goes on
    expect((await postJson(server.url, "/api/logs", [{ message: "after" }])).body.ids).toEqual([2001]);

    // restored: a server started on the copy serves what it holds and goes on from there
    const restored = await startTestServer({ BATCHLOG_DB_URL: `file:${to}` });
    try {
      const newest = await search(restored.url, { source: "cron", limit: "1" });
      expect(newest[0]?.message).toBe("line 3-499");
      expect((await search(restored.url, { source: "cron", limit: "1000" })).length).toBe(1000);
      expect((await postJson(restored.url, "/api/logs", [{ message: "restored" }])).body.ids).toEqual([2001]);
    } finally {
      await restored.dispose();
    }

    const again = await backup([to]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/backup failed: .*to: .*copy\.db exists already/);
  });

  it("Should exit 2 with one line for a database that does not exist, creating nothing", async () => {
    const missing = join(server.dir, "nope.db");
    const run = await backup([join(server.dir, "x.db")], { BATCHLOG_DB_URL: `file:${missing}` });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^batchlog: backup failed: .*no database at .*nope\.db\n$/);
    expect(existsSync(missing)).toBe(false);
  });
});
