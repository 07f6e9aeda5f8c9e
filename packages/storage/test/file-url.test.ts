import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, describe, expect, it } from "vitest";
import { filePathOf } from "../src/file-url.js";
import { ConfigError, openLogStorage } from "../src/index.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const temp = makeTempDir();
afterAll(() => temp.cleanup());

/** Rows in the file @libsql/client itself opens for `url` (what the migrations ran on). */
async function rowsSeenByLibsqlClient(url: string): Promise<number> {
  const client = createClient({ url });
  try {
    const result = await client.execute("SELECT count(*) FROM log_entries");
    return Number(result.rows[0]?.[0]);
  } finally {
    client.close();
  }
}

describe("file: URLs", () => {
  // Every component must open one file: the client that migrates, the writer (thread), the
  // checkpointer and the reader processes. @libsql/client decodes percent-escapes in the path.
  it.each([
    { written: "pct%41.db", file: "pctA.db" },
    { written: "enc%20space.db", file: "enc space.db" },
    { written: "hash%23.db", file: "hash#.db" },
    { written: "pct%2541.db", file: "pct%41.db" },
  ])("$written opens $file in every component (batched and direct)", async ({ written, file }) => {
    for (const [i, url] of [`file:${temp.dir}/${written}`, `file://${temp.dir}/${written}`].entries()) {
      for (const implementation of ["batched", "direct"] as const) {
        const storage = await openLogStorage({ url, implementation, diskReserveBytes: 0 });
        try {
          await storage.store({ message: `${implementation} ${i}` });
          const recent = await storage.getRecent(10);
          expect(recent[0]?.message).toBe(`${implementation} ${i}`);
        } finally {
          await storage.close();
        }
      }
      expect(await rowsSeenByLibsqlClient(url)).toBe(2 * (i + 1));
    }
    expect(existsSync(temp.path(file))).toBe(true);
    if (file !== written) expect(existsSync(temp.path(written))).toBe(false);
  });

  it("reads file://localhost/path as the local /path", async () => {
    const url = `file://localhost${temp.dir}/localhost.db`;
    const storage = await openLogStorage({ url });
    try {
      await storage.store({ message: "local" });
      expect((await storage.getRecent(1))[0]?.message).toBe("local");
    } finally {
      await storage.close();
    }
    expect(existsSync(temp.path("localhost.db"))).toBe(true);
    expect(existsSync(resolve("localhost"))).toBe(false);
  });

  it("keeps relative paths relative to the working directory", () => {
    expect(filePathOf("file:./data/x.db")).toBe(resolve("data/x.db"));
    expect(filePathOf("file:data/x.db")).toBe(resolve("data/x.db"));
  });

  it.each([
    { url: "file::memory:", message: /in-memory database is not supported.*pass a file/ },
    { url: "file:%3Amemory%3A", message: /in-memory database is not supported/ },
    { url: "file:", message: /names no database file: pass one, e\.g\. file:/ },
    { url: "file://localhost", message: /names no database file/ },
    { url: "file:///", message: /names no database file/ },
    { url: "file://server/share/x.db", message: /names the host "server"/ },
    { url: "file:./refused/a#b.db", message: /write a # in a file name as %23/ },
    { url: "file:data/x.db?mode=ro", message: /has a \?query, which batchlog does not apply.*%3F/ },
    { url: "file:./refused/a%zz.db", message: /write a % in a file name as %25/ },
  ])("refuses $url with a ConfigError and creates nothing", async ({ url, message }) => {
    const before = readdirSync(".");
    const error = await openLogStorage({ url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { field: "url", message: expect.stringMatching(message) },
    ]);
    expect(readdirSync(".")).toEqual(before);
  });
});
