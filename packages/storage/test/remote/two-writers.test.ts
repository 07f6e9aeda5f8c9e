/**
 * Several writers on one libSQL server: two processes (one over http://, one over ws://) ingest
 * at the same time. Nothing is lost, nothing is duplicated, every id is unique, and each writer
 * gets its ids in the order it stored.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqldServer, skipWithoutSqld } from "../helpers/sqld.js";
import { readAllRows } from "./remote-db.js";

const skip = skipWithoutSqld("two-writers");
const PACKAGE_DIR = fileURLToPath(new URL("../..", import.meta.url));
const WRITER = fileURLToPath(new URL("./fixtures/remote-writer.ts", import.meta.url));
const children = new Set<ChildProcess>();

interface Writer {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<{ name: string; ids: number[]; health: string }>;
}

function startWriter(url: string, name: string, count: number): Writer {
  const child = spawn(
    process.execPath,
    ["--conditions=@batchlog/source", "--import", "tsx", WRITER, url, name, String(count)],
    { cwd: PACKAGE_DIR, stdio: ["pipe", "pipe", "pipe"] },
  );
  children.add(child);
  let stdout = "";
  let stderr = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (/^ready$/m.test(stdout)) markReady();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const result = new Promise<{ name: string; ids: number[]; health: string }>((resolve, reject) => {
    child.once("exit", (code) => {
      children.delete(child);
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (code !== 0 || line === undefined) {
        reject(new Error(`writer ${name} exited ${code}: ${stderr.slice(-2000)}`));
      } else {
        resolve(JSON.parse(line));
      }
    });
  });
  const failedEarly = result.then(() => {
    throw new Error(`writer ${name} exited before it was ready`);
  });
  return { child, ready: Promise.race([ready, failedEarly]), result };
}

describe.skipIf(skip)("two writer processes on one sqld", () => {
  let server: SqldServer;
  beforeAll(async () => {
    // a fresh server: the two writers also race to apply the migrations
    server = await SqldServer.start();
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await server?.dispose();
  });

  it("lose nothing, duplicate nothing, and keep ids unique", async () => {
    const count = Number(process.env.TW_COUNT ?? 4000);
    const a = startWriter(server.httpUrl, "alpha", count);
    const b = startWriter(server.wsUrl, "beta", count);
    await Promise.all([a.ready, b.ready]);
    a.child.stdin!.end("go\n");
    b.child.stdin!.end("go\n");
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(ra.health).toBe("ok");
    expect(rb.health).toBe("ok");
    expect(ra.ids).toHaveLength(count);
    expect(rb.ids).toHaveLength(count);
    for (const { ids } of [ra, rb])
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    const all = [...ra.ids, ...rb.ids];
    expect(new Set(all).size).toBe(2 * count);

    const rows = await readAllRows(server.httpUrl);
    expect(rows).toHaveLength(2 * count);
    const idOf = new Map(rows.map((r) => [r.message, r.id]));
    expect(idOf.size).toBe(2 * count); // no message twice
    expect(ra.ids).toEqual(Array.from({ length: count }, (_, i) => idOf.get(`alpha ${i}`)));
    expect(rb.ids).toEqual(Array.from({ length: count }, (_, i) => idOf.get(`beta ${i}`)));
    // they really ran at the same time: their id ranges interleave
    expect(Math.min(...rb.ids)).toBeLessThan(Math.max(...ra.ids));
    expect(Math.min(...ra.ids)).toBeLessThan(Math.max(...rb.ids));
  });
});
