// The README's metrics table and alert rules name the metrics a real server exposes, and the server
// exposes nothing the table leaves out: the docs cannot drift from /metrics in either direction.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, startTestServer, type TestServer } from "./helpers/test-server.js";

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

function between(start: string, end: string): string {
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  expect(from, start).toBeGreaterThan(-1);
  expect(to, end).toBeGreaterThan(from);
  return readme.slice(from, to);
}

/** name → type, from the `# TYPE` lines of a scrape. */
function exposed(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1]!, match[2]!);
  return types;
}

let server: TestServer;
let metrics: Map<string, string>;

beforeAll(async () => {
  server = await startTestServer();
  metrics = exposed((await request(server.url, "/metrics")).text);
});
afterAll(async () => {
  await server.dispose();
});

describe("the README's metrics table", () => {
  const rows = [
    ...between("<!-- metrics-table:start -->", "<!-- metrics-table:end -->").matchAll(
      /^\| `(batchlog_\w+)` \| (\w+) \|/gm,
    ),
  ].map((m) => ({ name: m[1]!, type: m[2]! }));

  it("Should list metrics the server exposes, with their type", () => {
    expect(rows.length).toBeGreaterThan(20);
    for (const { name, type } of rows) expect(metrics.get(name), name).toBe(type);
  });

  it("Should list every batchlog_ metric the server exposes", () => {
    const documented = new Set(rows.map((r) => r.name));
    const missing = [...metrics.keys()].filter((n) => n.startsWith("batchlog_") && !documented.has(n));
    expect(missing).toEqual([]);
  });
});

describe("the README's alert rules", () => {
  it("Should use only metric names the server exposes", () => {
    const rules = between("<!-- alert-rules:start -->", "<!-- alert-rules:end -->");
    const names = new Set(
      [...rules.matchAll(/\bbatchlog_\w+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, "")),
    );
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) expect(metrics.has(name), name).toBe(true);
  });
});
