// Sizes on every byte option, the queue's lower bound, the boolean message and usage errors:
// through loadConfig, the real entry point (exit code and stderr) and a real server.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { largestEntryBytes } from "@batchlog/storage";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { runMain } from "./helpers/child-server.js";
import { problemsOf } from "./helpers/config-problems.js";
import { postJson, startTestServer } from "./helpers/test-server.js";

const dir = mkdtempSync(join(tmpdir(), "batchlog-config-sizes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KiB = 1024;
const MiB = 1024 * KiB;

describe("byte sizes", () => {
  it("Should accept 512kb, 10mb, 1gb or a byte count on every size option from the environment", () => {
    const config = loadConfig({
      BATCHLOG_QUEUE_CAPACITY_BYTES: "1gb",
      BATCHLOG_MAX_MESSAGE_BYTES: "64kb",
      BATCHLOG_MAX_FIELDS_BYTES: "32KiB",
      BATCHLOG_DISK_RESERVE_BYTES: "1mb",
      BATCHLOG_JOURNAL_SIZE_LIMIT: "64mb",
      BATCHLOG_BODY_LIMIT: "2048",
    });
    expect(config.storage).toMatchObject({
      queueCapacityBytes: 1024 * MiB,
      maxMessageBytes: 64 * KiB,
      maxFieldsBytes: 32 * KiB,
      diskReserveBytes: MiB,
      journalSizeLimit: 64 * MiB,
    });
    expect(config.bodyLimitBytes).toBe(2048);
  });

  it("Should accept sizes from flags and the config file, and keep 0 and -1 where they mean off", () => {
    const file = join(dir, "sizes.json");
    writeFileSync(
      file,
      JSON.stringify({ maxFieldsBytes: "16kb", diskReserveBytes: 0, journalSizeLimit: -1 }),
    );
    const config = loadConfig(
      { BATCHLOG_CONFIG: file },
      { queueCapacityBytes: "256mb", maxMessageBytes: "8kb" },
    );
    expect(config.storage).toMatchObject({
      queueCapacityBytes: 256 * MiB,
      maxMessageBytes: 8 * KiB,
      maxFieldsBytes: 16 * KiB,
      diskReserveBytes: 0,
      journalSizeLimit: -1,
    });
    expect(
      loadConfig({ BATCHLOG_DISK_RESERVE_BYTES: "0", BATCHLOG_JOURNAL_SIZE_LIMIT: "-1" }).storage,
    ).toMatchObject({ diskReserveBytes: 0, journalSizeLimit: -1 });
  });

  it("Should name the accepted forms when a size is wrong", () => {
    expect(problemsOf({ BATCHLOG_MAX_MESSAGE_BYTES: "lots" })).toEqual([
      'BATCHLOG_MAX_MESSAGE_BYTES="lots": expected a size such as 512kb, 10mb, 1gb or a whole number of bytes',
    ]);
    expect(problemsOf({ BATCHLOG_DISK_RESERVE_BYTES: "-1" })).toEqual([
      'BATCHLOG_DISK_RESERVE_BYTES="-1": expected a size such as 512kb, 10mb, 1gb or a whole number of bytes (0 disables it)',
    ]);
    expect(problemsOf({}, { journalSizeLimit: "5pb" })).toEqual([
      '--journal-size-limit="5pb": expected a size such as 512kb, 10mb, 1gb or a whole number of bytes (-1 = unbounded)',
    ]);
  });
});

describe("fractional byte counts", () => {
  const expected = "expected a size such as 512kb, 10mb, 1gb or a whole number of bytes";
  it("Should refuse a fractional byte count from the environment, a flag or the config file, not truncate it", () => {
    expect(problemsOf({ BATCHLOG_BODY_LIMIT: "1.5" })).toEqual([`BATCHLOG_BODY_LIMIT="1.5": ${expected}`]);
    expect(problemsOf({ BATCHLOG_MAX_MESSAGE_BYTES: "4096.5b" })).toEqual([
      `BATCHLOG_MAX_MESSAGE_BYTES="4096.5b": ${expected}`,
    ]);
    expect(problemsOf({}, { bodyLimit: "10.7" })).toEqual([`--body-limit="10.7": ${expected}`]);
    const file = join(dir, "fractional.json");
    writeFileSync(file, JSON.stringify({ bodyLimit: "1.5", journalSizeLimit: 1.5 }));
    expect(problemsOf({ BATCHLOG_CONFIG: file })).toEqual([
      `${file} bodyLimit="1.5": ${expected}`,
      `${file} journalSizeLimit=1.5: ${expected} (-1 = unbounded)`,
    ]);
  });

  it("Should read a fraction of a larger unit as whole bytes", () => {
    expect(loadConfig({ BATCHLOG_BODY_LIMIT: "1.5mb" }).bodyLimitBytes).toBe(1_572_864);
  });

  it("Should exit 2 with one line naming the variable", async () => {
    const run = runMain([], { BATCHLOG_BODY_LIMIT: "1.5", BATCHLOG_DB_URL: `file:${join(dir, "x.db")}` });
    // Before the fix the server started: do not leave it running.
    const started = setTimeout(() => run.child.kill("SIGKILL"), 20_000);
    expect(await run.exited).toEqual({ code: 2, signal: null });
    clearTimeout(started);
    expect(run.stderr()).toBe(`batchlog: invalid configuration: BATCHLOG_BODY_LIMIT="1.5": ${expected}\n`);
  });
});

describe("queueCapacityBytes lower bound", () => {
  it("Should refuse a queue that cannot hold one largest entry, stating the rule", () => {
    expect(problemsOf({ BATCHLOG_QUEUE_CAPACITY_BYTES: "1" })).toEqual([
      "BATCHLOG_QUEUE_CAPACITY_BYTES=1: must hold one largest entry, so at least 526011 bytes " +
        "= 6 × BATCHLOG_MAX_MESSAGE_BYTES (65536) + 2 × BATCHLOG_MAX_FIELDS_BYTES (65536) + 1723 " +
        "(JSON escaping can grow a message 6× and fields 2×; source, timestamp and per-entry overhead)",
    ]);
    const minimum = largestEntryBytes({ maxMessageBytes: 1024, maxFieldsBytes: 1024 });
    const limits = { BATCHLOG_MAX_MESSAGE_BYTES: "1kb", BATCHLOG_MAX_FIELDS_BYTES: "1kb" };
    expect(problemsOf({ ...limits, BATCHLOG_QUEUE_CAPACITY_BYTES: String(minimum) })).toEqual([]);
    expect(problemsOf({ ...limits, BATCHLOG_QUEUE_CAPACITY_BYTES: String(minimum - 1) })[0]).toMatch(
      /^BATCHLOG_QUEUE_CAPACITY_BYTES=\d+: must hold one largest entry/,
    );
  });

  it("Should store the largest possible entry through a queue of exactly the minimum size", async () => {
    const maxMessageBytes = 1024;
    const maxFieldsBytes = 1024;
    const server = await startTestServer({
      BATCHLOG_MAX_MESSAGE_BYTES: "1kb",
      BATCHLOG_MAX_FIELDS_BYTES: "1kb",
      BATCHLOG_QUEUE_CAPACITY_BYTES: String(largestEntryBytes({ maxMessageBytes, maxFieldsBytes })),
    });
    try {
      // The worst case for JSON escaping: control characters in message and source, quotes in fields.
      // {"k":"\"\"…"}: each quote is 2 bytes of fields JSON, 4 once that JSON is quoted in the row.
      const quoted = Math.floor((maxFieldsBytes - '{"k":""}'.length) / 2);
      const entry = {
        timestamp: new Date(-2_208_988_800_000).toISOString(), // 1900: a negative 14-character timestamp
        level: "fatal",
        source: "\u0001".repeat(256),
        message: "\u0001".repeat(maxMessageBytes),
        fields: { k: '"'.repeat(quoted) },
      };
      expect(Buffer.byteLength(JSON.stringify(entry.fields))).toBeLessThanOrEqual(maxFieldsBytes);
      const res = await postJson(server.url, "/api/logs", entry);
      expect(res.status, res.text).toBe(201);
    } finally {
      await server.dispose();
    }
  });
});

describe("main (the process)", () => {
  it("Should exit 2 with one line naming the variable and value for an impossible queue size", async () => {
    const run = runMain([], {
      BATCHLOG_QUEUE_CAPACITY_BYTES: "1",
      BATCHLOG_DB_URL: `file:${join(dir, "never.db")}`,
    });
    expect((await run.exited).code).toBe(2);
    const lines = run.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^batchlog: invalid configuration: BATCHLOG_QUEUE_CAPACITY_BYTES=1: must hold one largest entry, so at least \d+ bytes/,
    );
  });

  it("Should accept size suffixes on every byte-size variable", async () => {
    const run = runMain(["--port", "0"], {
      BATCHLOG_QUEUE_CAPACITY_BYTES: "1mb",
      BATCHLOG_MAX_MESSAGE_BYTES: "64kb",
      BATCHLOG_MAX_FIELDS_BYTES: "64kb",
      BATCHLOG_DISK_RESERVE_BYTES: "1mb",
      BATCHLOG_JOURNAL_SIZE_LIMIT: "64mb",
      BATCHLOG_DB_URL: `file:${join(dir, "sizes.db")}`,
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!run.stdout().includes("batchlog is listening") && run.child.exitCode === null) {
        if (Date.now() > deadline) throw new Error(`did not start: ${run.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(run.stderr()).toBe("");
      expect(run.child.exitCode).toBeNull();
    } finally {
      run.child.kill("SIGTERM");
      await run.exited;
    }
  });

  it("Should exit 2 on an unknown flag, in the same line format as a bad value", async () => {
    const run = runMain(["--bogus-flag"], {});
    expect((await run.exited).code).toBe(2);
    expect(run.stderr().trim()).toBe("batchlog: invalid configuration: unknown option '--bogus-flag'");
    // commander's suggestion stays on the same line
    const typo = runMain(["--prot", "1"], {});
    expect((await typo.exited).code).toBe(2);
    expect(typo.stderr()).toBe(
      "batchlog: invalid configuration: unknown option '--prot' (Did you mean --port?)\n",
    );
    const missing = runMain(["--port"], {});
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toMatch(
      /^batchlog: invalid configuration: option '--port <port>' argument missing/,
    );
  });

  it("Should list every accepted boolean spelling when a boolean is wrong", async () => {
    const run = runMain(["--full-text", "maybe"], {});
    expect((await run.exited).code).toBe(2);
    expect(run.stderr().trim()).toBe(
      'batchlog: invalid configuration: --full-text="maybe": expected true or false (also yes/no, on/off, 1/0)',
    );
  });
});
