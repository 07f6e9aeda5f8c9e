// Shared pieces of the browser tests: build the UI, start the real demo server on a temp database,
// drive Debian's chromium through playwright-core, ingest through the HTTP API.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { loadConfig, startServer } from "../../src/app.js";

export const demoDir = fileURLToPath(new URL("../../", import.meta.url));
export const uiDir = join(demoDir, "ui");
export const artifactsDir = join(demoDir, "test-artifacts");

// ---------------------------------------------------------------- UI build

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((n) => newestMtime(join(path, n))));
}

/** Builds ui/dist/index.html when it is missing or older than its sources. */
export async function ensureUiBuilt(): Promise<void> {
  const out = join(uiDir, "dist", "index.html");
  const sources = Math.max(
    newestMtime(join(uiDir, "src")),
    newestMtime(join(uiDir, "index.html")),
    newestMtime(join(uiDir, "vite.config.ts")),
  );
  if (existsSync(out) && statSync(out).mtimeMs >= sources) return;
  const { build } = await import("vite");
  await build({ configFile: join(uiDir, "vite.config.ts"), logLevel: "warn" });
}

// ---------------------------------------------------------------- browser

/** Debian's chromium (or CHROMIUM_PATH); undefined when it is not installed. */
export function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      const p = execFileSync("which", [name], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
      if (p) return p;
    } catch {
      // not found; try the next name
    }
  }
  return undefined;
}

export function chromiumPath(): string {
  const path = findChromium();
  if (!path)
    throw new Error("chromium not found: install Debian's chromium package (apt-get install -y chromium)");
  return path;
}

export const BROWSER_TIME_ZONE = "Asia/Kolkata";
/** The browser's offset from UTC in ms (UTC+05:30 all year). */
export const BROWSER_UTC_OFFSET_MS = 5.5 * 3_600_000;

export interface Browser {
  context: BrowserContext;
  newPage(opts?: { width?: number; height?: number; colorScheme?: "light" | "dark" }): Promise<Page>;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile; each page gets its own viewport. */
export async function launchBrowser(opts: { colorScheme?: "light" | "dark" } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "batchlog-chromium-"));
  const context = await chromium
    .launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
      viewport: { width: 1280, height: 860 },
      colorScheme: opts.colorScheme ?? "dark",
      // a zone away from UTC (no DST), so that local/UTC mix-ups show
      timezoneId: BROWSER_TIME_ZONE,
      locale: "en-US",
    })
    .catch((error: unknown) => {
      rmSync(profile, { recursive: true, force: true });
      throw error;
    });
  const errors: string[] = [];
  context.on("weberror", (e) => errors.push(String(e.error())));
  return {
    context,
    async newPage(p = {}) {
      const page = await context.newPage();
      await page.setViewportSize({ width: p.width ?? 1280, height: p.height ?? 860 });
      if (p.colorScheme) await page.emulateMedia({ colorScheme: p.colorScheme });
      page.on("pageerror", (e) => errors.push(e.message));
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      if (errors.length) throw new Error(`page errors:\n${errors.join("\n")}`);
    },
  };
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

// ---------------------------------------------------------------- demo server

export interface RunningDemo {
  url: string;
  /** The database file (its `.reserve` sits next to it). */
  dbPath: string;
  close(): Promise<void>;
}

/**
 * Starts the real demo server (src/app.ts: loadConfig + startServer) on 127.0.0.1, port 0, with a
 * database in a fresh temp directory; configured through the SPEC §4 environment variables.
 * `dir` and `port` restart a stopped server on its database and address (the caller then removes
 * `dir`).
 */
export async function startDemo(
  opts: { token?: string; generate?: number; dir?: string; port?: number; env?: Record<string, string> } = {},
): Promise<RunningDemo> {
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "batchlog-e2e-"));
  const env: Record<string, string> = {
    BATCHLOG_HOST: "127.0.0.1",
    BATCHLOG_PORT: String(opts.port ?? 0),
    BATCHLOG_DB_URL: `file:${join(dir, "batchlog.db")}`,
    BATCHLOG_LOG_LEVEL: "warn",
    BATCHLOG_MAX_BATCH_DELAY_MS: "5",
  };
  if (opts.token) env.BATCHLOG_TOKEN = opts.token;
  if (opts.generate) env.BATCHLOG_GENERATE = String(opts.generate); // the demo's --generate sample traffic
  Object.assign(env, opts.env);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(loadConfig(env));
  } catch (error) {
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: server.url.replace(/\/$/, ""),
    dbPath: join(dir, "batchlog.db"),
    async close() {
      await server.stop();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- API helpers

export interface NewEntry {
  timestamp?: string | number;
  level: string;
  source?: string;
  message: string;
  fields?: Record<string, unknown>;
}

export async function ingest(base: string, entries: NewEntry[], token?: string): Promise<number[]> {
  const res = await fetch(`${base}/api/logs`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(entries),
  });
  const body = (await res.json()) as { ids?: number[] };
  if (res.status !== 201 || !body.ids)
    throw new Error(`ingest failed: ${res.status} ${JSON.stringify(body)}`);
  return body.ids;
}

export async function apiGet<T>(base: string, path: string, token?: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Deterministic PRNG (mulberry32) for realistic sample data. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Realistic traffic over the last `spanMs`: several services, mostly info, some warnings and errors. */
export function sampleEntries(count: number, spanMs: number, now = Date.now(), seed = 7): NewEntry[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const sources = ["api-gateway", "checkout", "payments", "auth", "email-worker", "search-indexer"] as const;
  const routes = ["/api/orders", "/api/cart", "/api/users/me", "/api/search", "/api/products"] as const;
  const out: NewEntry[] = [];
  for (let i = 0; i < count; i++) {
    // more traffic recently, a burst of errors about two thirds of the way through
    const age = Math.floor(rnd() ** 1.25 * spanMs);
    const ts = now - age;
    const inIncident = age > spanMs * 0.25 && age < spanMs * 0.32;
    const r = rnd();
    const source = pick(sources);
    const reqId = `req-${Math.floor(rnd() * 0xffffff)
      .toString(16)
      .padStart(6, "0")}`;
    const ms = Math.floor(4 + rnd() ** 3 * 1800);
    let level = "info";
    let message = `${pick(["GET", "GET", "POST", "PUT"])} ${pick(routes)} 200 ${ms}ms`;
    const fields: Record<string, unknown> = { requestId: reqId, region: pick(["eu-west-1", "us-east-1"]) };
    if (r < 0.1) {
      level = "trace";
      message = `span ${pick(["db.query", "cache.get", "http.client"])} finished in ${ms}µs`;
    } else if (r < 0.28) {
      level = "debug";
      message = `cache ${pick(["hit", "miss"])} for key ${pick(["user", "cart", "price"])}:${Math.floor(rnd() * 900)}`;
    } else if (r < 0.36 || (inIncident && r < 0.5)) {
      level = "warn";
      message = pick([
        `slow query on orders took ${ms}ms`,
        "retrying payment provider call (attempt 2/3)",
        `connection pool at ${80 + Math.floor(rnd() * 19)}% capacity`,
      ]);
    } else if (r < 0.395 || (inIncident && r < 0.62)) {
      level = "error";
      message = pick([
        "upstream timeout after 5000ms calling inventory-service",
        `payment declined: card_expired for order o-${Math.floor(rnd() * 99999)}`,
        "connection reset by peer while writing response",
      ]);
      fields.error = { type: pick(["TimeoutError", "ECONNRESET", "PaymentError"]), retryable: rnd() < 0.5 };
    } else if (r < 0.397) {
      level = "fatal";
      message = "worker crashed: heap out of memory, restarting";
    } else {
      fields.status = 200;
      fields.durationMs = ms;
    }
    out.push({ timestamp: new Date(ts).toISOString(), level, source, message, fields });
  }
  // shippers send in time order
  return out.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
}
