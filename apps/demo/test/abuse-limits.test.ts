// Inputs that cost the server far more than they cost the client: each is refused with a clear
// 4xx, stores nothing it did not acknowledge, and leaves the server answering.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSse } from "./helpers/sse.js";
import { postJson, request, startTestServer, type TestServer } from "./helpers/test-server.js";

const BODY_LIMIT = 256 * 1024;

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer({ BATCHLOG_BODY_LIMIT: String(BODY_LIMIT) });
  base = server.url;
});
afterAll(() => server.dispose());

const storedFrom = async (source: string) => (await server.storage.search({ sources: [source] })).entries;

describe("labels sent once and copied into every entry", () => {
  const manyAttributes = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ key: `attr_${i}`, value: { stringValue: "v" } }));

  it("Should answer 413 to an OTLP request whose resource attributes, copied into each record, pass the body limit", async () => {
    // 40 KB of resource attributes × 200 records: 8 MB once expanded, from a 50 KB body
    const body = {
      resourceLogs: [
        {
          resource: {
            attributes: [
              { key: "service.name", value: { stringValue: "amplified" } },
              ...manyAttributes(2000),
            ],
          },
          scopeLogs: [
            { logRecords: Array.from({ length: 200 }, (_, i) => ({ body: { stringValue: `r${i}` } })) },
          ],
        },
      ],
    };
    const res = await postJson(base, "/v1/logs", body);
    expect(res.status).toBe(413);
    expect(res.text).toContain("resource and scope attributes");
    expect(await storedFrom("amplified")).toEqual([]);
  });

  it("Should store an ordinary batch whose resource, copied into each record, is twice the body limit (a collector's batch under a Kubernetes resource)", async () => {
    // ~1.1 KB of resource attributes × 480 records: ~0.5 MB once expanded (2× the limit), 25 KB sent
    const k8s = Array.from({ length: 24 }, (_, i) => ({
      key: `k8s.attribute_${i}`,
      value: { stringValue: `value-${i}-${"x".repeat(12)}` },
    }));
    const body = {
      resourceLogs: [
        {
          resource: {
            attributes: [{ key: "service.name", value: { stringValue: "collector-batch" } }, ...k8s],
          },
          scopeLogs: [
            { logRecords: Array.from({ length: 480 }, (_, i) => ({ body: { stringValue: `r${i}` } })) },
          ],
        },
      ],
    };
    const res = await postJson(base, "/v1/logs", body);
    expect(res.status, res.text).toBe(200);
    expect((await server.storage.search({ sources: ["collector-batch"], limit: 1000 })).entries).toHaveLength(
      480,
    );
  });

  it("Should answer 413 to a Loki push whose stream labels, copied into each line, pass the body limit", async () => {
    const labels = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`label_${i}`, "v"]));
    const now = BigInt(Date.now()) * 1_000_000n;
    const res = await postJson(base, "/loki/api/v1/push", {
      streams: [
        {
          stream: { service_name: "amplified-loki", ...labels },
          values: Array.from({ length: 300 }, (_, i) => [String(now + BigInt(i)), `line ${i}`]),
        },
      ],
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: "BATCHLOG_PAYLOAD_TOO_LARGE" });
    expect(res.body.error).toMatch(/stream's labels/);
    expect(await storedFrom("amplified-loki")).toEqual([]);
  });

  it("Should still store a push whose copies stay under the limit", async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const res = await postJson(base, "/loki/api/v1/push", {
      streams: [
        {
          stream: { service_name: "ordinary-loki", env: "prod", region: "eu-west-1", pod: "api-7f9c" },
          values: Array.from({ length: 1000 }, (_, i) => [String(now + BigInt(i)), `line ${i}`]),
        },
      ],
    });
    expect(res.status).toBe(204);
    expect(await storedFrom("ordinary-loki")).toHaveLength(100); // a search's default page
    expect((await request(base, "/healthz")).status).toBe(200);
  });
});

describe("searches that would hold the reader thread", () => {
  const get = (path: string) => request<{ error?: string; code?: string }>(base, path);
  const q = (text: string) => `q=${encodeURIComponent(text)}`;

  it("Should answer 400 naming q to more than 8 prefix searches, on search, stats and the live tail", async () => {
    // 1 KB of `a* a* …` read the whole index 204 times: 12–15 s during which no search was answered
    const many = Array.from({ length: 204 }, () => "a*").join(" ");
    for (const path of [`/api/logs?${q(many)}`, `/api/stats?${q(many)}`, `/api/logs/tail?${q(many)}`]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.body.error).toBe("q: 204 prefix searches (word*); at most 8");
    }
    const nine = Array.from({ length: 9 }, (_, i) => `w${i}*`).join(" OR ");
    expect((await get(`/api/logs?${q(nine)}`)).status).toBe(400);
    const eight = Array.from({ length: 8 }, (_, i) => `w${i}*`).join(" OR ");
    expect((await get(`/api/logs?${q(eight)}`)).status).toBe(200);
  });

  it("Should answer 400 naming q to more than 64 words, counting each word of a phrase", async () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);
    expect((await get(`/api/logs?${q(words(64).join(" OR "))}`)).status).toBe(200);
    const tooMany = await get(`/api/logs?${q(words(65).join(" OR "))}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toBe("q: 65 words; at most 64");
    expect((await get(`/api/logs?${q(`"${words(65).join(" ")}"`)}`)).status).toBe(400);
  });

  it("Should answer 400 to more than 32 fields filters instead of a 500 from SQLite", async () => {
    const filters = (n: number) => Array.from({ length: n }, (_, i) => `field.k${i}=v`).join("&");
    expect((await get(`/api/logs?${filters(32)}`)).status).toBe(200);
    for (const n of [33, 1000]) {
      for (const path of [`/api/logs?${filters(n)}`, `/api/stats?${filters(n)}`]) {
        const res = await get(path);
        expect(res.status, `${n} on ${path.slice(0, 10)}`).toBe(400);
        expect(res.body).toEqual({
          error: "field.KEY: more than 32 fields filters",
          code: "BATCHLOG_BAD_REQUEST",
        });
      }
    }
  });
});

describe("NUL characters in text", () => {
  it("Should keep the whole message and source, the NUL shown as U+FFFD, from every protocol; fields as sent", async () => {
    const native = await postJson(base, "/api/logs", {
      source: "nul\u0000native",
      message: "before\u0000after native",
      fields: { "k\u0000": "v\u0000" },
    });
    expect(native.status).toBe(201);
    const now = String(BigInt(Date.now()) * 1_000_000n);
    const loki = await postJson(base, "/loki/api/v1/push", {
      streams: [{ stream: { service_name: "nul\u0000loki" }, values: [[now, "before\u0000after loki"]] }],
    });
    expect(loki.status).toBe(204);
    const otlp = await postJson(base, "/v1/logs", {
      resourceLogs: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "nul\u0000otlp" } }] },
          scopeLogs: [{ logRecords: [{ body: { stringValue: "before\u0000after otlp" } }] }],
        },
      ],
    });
    expect(otlp.status).toBe(200);
    for (const protocol of ["native", "loki", "otlp"]) {
      const [entry] = await storedFrom(`nul\uFFFD${protocol}`);
      expect(entry?.message, protocol).toBe(`before\uFFFDafter ${protocol}`);
    }
    expect((await storedFrom("nul\uFFFDnative"))[0]?.fields).toEqual({ "k\u0000": "v\u0000" });
    // and the words after the NUL are indexed
    const found = await request<{ entries: { message: string }[] }>(base, "/api/logs?q=after%20AND%20native");
    expect(found.body.entries.map((e) => e.message)).toEqual(["before\uFFFDafter native"]);
  });
});

describe("JSON nested without end", () => {
  // 4 MB of `[[[…]]]` within a 10 MB body limit: JSON.parse took about a second over it, during
  // which the event loop answered nothing.
  const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
  let deepServer: TestServer;
  beforeAll(async () => {
    deepServer = await startTestServer();
  });
  afterAll(() => deepServer.dispose());

  /** The longest gap between timer ticks while `work` runs: how long the server's loop stalled. */
  async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
    let last = performance.now();
    let stallMs = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      stallMs = Math.max(stallMs, now - last);
      last = now;
    }, 5);
    try {
      return { result: await work(), stallMs };
    } finally {
      clearInterval(ticker);
    }
  }

  it("Should answer 400 on every JSON route before parsing it, without stalling the server", async () => {
    const nested = deep(2_000_000);
    const bodies: [string, string, RegExp][] = [
      [
        "/api/logs",
        `{"message":"x","fields":{"a":${nested}}}`,
        /^request body is nested more than 256 levels deep$/,
      ],
      [
        "/loki/api/v1/push",
        `{"streams":[{"stream":{"a":"b"},"values":[["1","x",${nested}]]}]}`,
        /nested more than 256/,
      ],
      ["/v1/logs", `{"resourceLogs":[${nested}]}`, /nested more than 256/],
    ];
    for (const [path, body, message] of bodies) {
      const { result, stallMs } = await longestStall(() =>
        request<{ error?: string; message?: string }>(deepServer.url, path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        }),
      );
      expect(result.status, path).toBe(400);
      expect(result.body.error ?? result.body.message).toMatch(message);
      // the server runs in this process: a parse of the nesting stalled it ~0.7 s here
      expect(stallMs, path).toBeLessThan(400);
    }
  });

  it("Should refuse a deep NDJSON line as an item and store the lines beside it", async () => {
    const lines = [
      JSON.stringify({ source: "deep-ndjson", message: "kept" }),
      `{"message":"deep","fields":{"a":${deep(100_000)}}}`,
    ].join("\n");
    const res = await request<{ ids: (number | null)[]; errors: { index: number; error: string }[] }>(
      deepServer.url,
      "/api/logs",
      { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: lines },
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        index: 1,
        lineNumber: 2,
        error: "line is nested more than 256 levels deep",
        code: "BATCHLOG_VALIDATION",
      },
    ]);
    expect(res.body.ids[0]).toEqual(expect.any(Number));
  });
});

describe("many live-tail streams", () => {
  it("Should write each committed entry out once, not once per stream", async () => {
    const STREAMS = 20;
    const ENTRIES = 200;
    const streams = await Promise.all(
      Array.from({ length: STREAMS }, () => openSse(`${base}/api/logs/tail?source=fan-out`)),
    );
    const realStringify = JSON.stringify;
    let calls = 0;
    JSON.stringify = ((...args: Parameters<typeof JSON.stringify>) => {
      calls++;
      return realStringify(...args);
    }) as typeof JSON.stringify;
    try {
      const entries = Array.from({ length: ENTRIES }, (_, i) => ({ source: "fan-out", message: `m${i}` }));
      expect((await postJson(base, "/api/logs", entries)).status).toBe(201);
      await Promise.all(streams.map((s) => s.waitFor((events) => events.length === ENTRIES)));
    } finally {
      JSON.stringify = realStringify;
      for (const s of streams) s.close();
    }
    // storing takes about one call per entry; the streams took one per entry per stream (4,000)
    expect(calls).toBeLessThan(ENTRIES * 4);
  });
});
