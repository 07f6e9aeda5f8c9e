import { randomBytes } from "node:crypto";
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { type Client, createClient } from "@libsql/client";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  classifyFailure,
  type FailureKind,
  isDiskFull,
  toDriverErrorInfo,
} from "../../src/classify-error.js";
import { freePort, SqldServer, skipWithoutSqld } from "../helpers/sqld.js";
import { makeTempDir } from "../helpers/temp-dir.js";

/**
 * Every error here is produced by the real driver against a real database (or server): the
 * classifier is checked on what the drivers actually throw, not on hand-written objects.
 */
const temp = makeTempDir("batchlog-classify-");
afterAll(() => temp.cleanup());

async function errorOf(operation: () => unknown): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  throw new Error("the operation was expected to fail");
}

async function expectKind(operation: () => unknown, kind: FailureKind, code?: RegExp) {
  const error = await errorOf(operation);
  const info = toDriverErrorInfo(error);
  if (code) expect(info.code, info.message).toMatch(code);
  expect(classifyFailure(info), `${info.code}: ${info.message}`).toBe(kind);
  return info;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS log_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, message TEXT NOT NULL, fields TEXT,
  CONSTRAINT log_entries_source_check CHECK (length(source) BETWEEN 1 AND 256),
  CONSTRAINT log_entries_fields_check CHECK (fields IS NULL OR json_valid(fields)))`;
const INSERT = "INSERT INTO log_entries (source, message, fields) VALUES (?, ?, ?)";
const deep = JSON.stringify(Array.from({ length: 1500 }).reduce<unknown>((inner) => ({ a: inner }), 1));

describe("local file, `libsql` driver (the writer thread's)", () => {
  let db: Database.Database;
  let other: Database.Database;
  beforeAll(() => {
    const path = temp.path("local.db");
    db = new Database(path);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(SCHEMA);
    db.exec(`CREATE TRIGGER policy BEFORE INSERT ON log_entries WHEN new.message = 'refused'
      BEGIN SELECT RAISE(ABORT, 'message refused by policy'); END`);
    other = new Database(path);
    other.exec("PRAGMA busy_timeout = 0");
  });
  afterAll(() => {
    db.close();
    other.close();
  });

  it("content: CHECK (NUL-led source, JSON too deep), NOT NULL, a trigger's RAISE, too big, malformed JSON", async () => {
    await expectKind(
      () => db.prepare(INSERT).run("\u0000x", "m", null),
      "content",
      /^SQLITE_CONSTRAINT_CHECK$/,
    );
    await expectKind(() => db.prepare(INSERT).run("s", "m", deep), "content", /^SQLITE_CONSTRAINT_CHECK$/);
    await expectKind(() => db.prepare(INSERT).run("s", null, null), "content", /^SQLITE_CONSTRAINT_NOTNULL$/);
    await expectKind(
      () => db.prepare(INSERT).run("s", "refused", null),
      "content",
      /^SQLITE_CONSTRAINT_TRIGGER$/,
    );
    await expectKind(() => db.prepare("SELECT zeroblob(2000000000)").get(), "content", /^SQLITE_TOOBIG$/);
    await expectKind(() => db.prepare("SELECT json_extract('{x', '$.a')").get(), "content");
  });

  it("transient: SQLITE_BUSY while another connection holds the write lock", async () => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const info = await expectKind(() => other.exec("BEGIN IMMEDIATE"), "transient", /^SQLITE_BUSY$/);
      expect(info.rawCode).toBe(5);
    } finally {
      db.exec("ROLLBACK");
    }
  });

  it("fatal: a file that is not a database (SQLITE_NOTADB) and overwritten pages (SQLITE_CORRUPT)", async () => {
    const notADb = temp.path("garbage.db");
    writeFileSync(notADb, randomBytes(16384));
    await expectKind(
      () => new Database(notADb).prepare("SELECT * FROM sqlite_master").all(),
      "fatal",
      /^SQLITE_NOTADB$/,
    );

    const corrupt = temp.path("corrupt.db");
    const setup = new Database(corrupt);
    setup.exec(SCHEMA);
    const insert = setup.prepare(INSERT);
    setup.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run("s", `message ${i} ${"x".repeat(100)}`, null);
    })();
    setup.close();
    const fd = openSync(corrupt, "r+");
    for (let page = 2; page <= 20; page++) writeSync(fd, randomBytes(4096), 0, 4096, (page - 1) * 4096);
    closeSync(fd);
    await expectKind(
      () => new Database(corrupt).prepare("SELECT count(*), max(length(message)) FROM log_entries").get(),
      "fatal",
      /^SQLITE_CORRUPT/,
    );
  });

  it("SQLITE_FULL is transient and recognised as disk full whatever the extended code", () => {
    for (const rawCode of [13, 13 | (1 << 8)]) {
      const info = { message: "database or disk is full", code: "SQLITE_FULL", rawCode };
      expect(isDiskFull(info)).toBe(true);
      expect(classifyFailure(info)).toBe("transient");
    }
    expect(isDiskFull({ message: "SQLITE_FULL: database or disk is full", code: "SQLITE_FULL" })).toBe(true);
    expect(isDiskFull({ message: "database is locked", code: "SQLITE_BUSY", rawCode: 5 })).toBe(false);
    // The real SQLITE_FULL comes from a real full tmpfs in disk-full.test.ts.
  });
});

describe("local file, @libsql/client", () => {
  let client: Client;
  let locker: Database.Database;
  beforeAll(async () => {
    const path = temp.path("client.db");
    client = createClient({ url: `file:${path}`, timeout: 0, concurrency: 1 });
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute(SCHEMA);
    locker = new Database(path);
  });
  afterAll(() => {
    client.close();
    locker.close();
  });

  it("content: a CHECK failure inside a write batch (LibsqlBatchError)", async () => {
    const info = await expectKind(
      () =>
        client.batch(
          [
            { sql: INSERT, args: ["s", "ok", null] },
            { sql: INSERT, args: ["\u0000x", "bad", null] },
          ],
          "write",
        ),
      "content",
      /^SQLITE_CONSTRAINT/,
    );
    expect(info.rawCode).toBe(275);
  });

  it("transient: SQLITE_BUSY; CLIENT_CLOSED", async () => {
    locker.exec("BEGIN IMMEDIATE");
    try {
      await expectKind(
        () => client.batch([{ sql: INSERT, args: ["s", "m", null] }], "write"),
        "transient",
        /^SQLITE_BUSY$/,
      );
    } finally {
      locker.exec("ROLLBACK");
    }
    const closed = createClient({ url: `file:${temp.path("closed.db")}` });
    closed.close();
    await expectKind(() => closed.execute("SELECT 1"), "transient", /^CLIENT_CLOSED$/);
  });

  it("fatal: SQLITE_NOTADB on the first query", async () => {
    const path = temp.path("garbage-client.db");
    writeFileSync(path, randomBytes(16384));
    const garbage = createClient({ url: `file:${path}` });
    try {
      await expectKind(() => garbage.execute("PRAGMA quick_check"), "fatal", /^SQLITE_NOTADB$/);
    } finally {
      garbage.close();
    }
  });
});

describe("remote: a real libSQL server (sqld)", () => {
  const skip = skipWithoutSqld("classify-error remote");
  let server: SqldServer | null = null;
  beforeAll(async () => {
    if (!skip) server = await SqldServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  for (const protocol of ["http", "ws"] as const) {
    it.skipIf(skip)(`${protocol}: SQLite errors arrive without rawCode and still classify`, async () => {
      const client = createClient({ url: server!.url(protocol) });
      try {
        await client.execute(SCHEMA);
        const check = await expectKind(
          () => client.batch([{ sql: INSERT, args: ["\u0000x", "m", null] }], "write"),
          "content",
          /^SQLITE_CONSTRAINT/,
        );
        expect(check.rawCode).toBeUndefined();
        await expectKind(
          () => client.execute({ sql: INSERT, args: ["s", null, null] }),
          "content",
          /^SQLITE_CONSTRAINT/,
        );
        await expectKind(() => client.execute("SELECT zeroblob(2000000000)"), "content", /^SQLITE_TOOBIG/);
        // Reported as SQLITE_UNKNOWN: only the message tells.
        await expectKind(
          () => client.execute("SELECT json_extract('{x', '$.a')"),
          "content",
          /^SQLITE_UNKNOWN$/,
        );
        // The server refuses the statement itself: no retry can help.
        await expectKind(
          () => client.execute("PRAGMA wal_checkpoint(PASSIVE)"),
          "fatal",
          /^SQL_PARSE_ERROR$/,
        );
      } finally {
        client.close();
      }
    });
  }

  it.skipIf(skip)("transient: the server goes away (killed), and nothing listens (http and ws)", async () => {
    const victim = await SqldServer.start();
    const client = createClient({ url: victim.httpUrl });
    await client.execute("SELECT 1");
    await victim.dispose();
    await expectKind(() => client.execute("SELECT 1"), "transient");
    client.close();

    const port = await freePort();
    await expectKind(
      () => createClient({ url: `http://127.0.0.1:${port}` }).execute("SELECT 1"),
      "transient",
      /ECONNREFUSED/,
    );
    await expectKind(
      () => createClient({ url: `ws://127.0.0.1:${port}` }).execute("SELECT 1"),
      "transient",
      /^HRANA_WEBSOCKET_ERROR$/,
    );
  });
});
