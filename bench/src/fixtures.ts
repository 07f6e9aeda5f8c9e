import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NewLogEntry } from "@batchlog/storage";

/** Deterministic PRNG (mulberry32): the same seed gives the same entries in every run. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SOURCES = [
  "api-gateway",
  "checkout",
  "auth",
  "billing",
  "search",
  "inventory",
  "notifications",
  "worker-jobs",
  "payments",
  "shipping",
  "recommendations",
  "frontend-ssr",
] as const;

/** Rough production mix: mostly info, a few percent warn/error. */
const LEVEL_WEIGHTS: [NonNullable<NewLogEntry["level"]>, number][] = [
  ["trace", 0.02],
  ["debug", 0.14],
  ["info", 0.7],
  ["warn", 0.08],
  ["error", 0.05],
  ["fatal", 0.01],
];

const ROUTES = ["/api/orders", "/api/cart", "/api/users", "/api/search", "/api/payments", "/healthz"];
const REGIONS = ["eu-west-1", "us-east-1", "ap-south-1"];

/** Users are `user-0` … `user-999`: a fields match on one user selects ~0.1% of rows. */
export const USER_COUNT = 1000;

// Message shapes seen in real service logs; "timeout" appears in ~1 in 16 messages (FTS probe).
const TEMPLATES: ((r: () => number) => string)[] = [
  (r) => `GET ${pick(r, ROUTES)}/${int(r, 1e6)} 200 ${int(r, 400)}ms`,
  (r) => `POST ${pick(r, ROUTES)} 201 ${int(r, 900)}ms bytes=${int(r, 20000)}`,
  (r) => `user user-${int(r, USER_COUNT)} signed in from 10.${int(r, 255)}.${int(r, 255)}.${int(r, 255)}`,
  (r) => `payment ${hex(r, 12)} declined: card expired (issuer response 54)`,
  (r) =>
    `upstream timeout after ${int(r, 30000)}ms calling ${pick(r, SOURCES)}; retrying (attempt ${int(r, 5)})`,
  (r) => `cache miss for key session:${hex(r, 16)}; loaded from database in ${int(r, 80)}ms`,
  (r) =>
    `slow query ${int(r, 2000)}ms: SELECT id, status, total FROM orders WHERE customer_id = $1 AND created_at > $2`,
  (r) =>
    `worker ${int(r, 16)} processed job ${hex(r, 10)} (${pick(r, ["email", "invoice", "export"])}) in ${int(r, 5000)}ms`,
  (r) => `connection reset by peer 10.${int(r, 255)}.${int(r, 255)}.${int(r, 255)}:${int(r, 65535)}`,
  (r) => `order ${int(r, 1e7)} shipped via ${pick(r, ["DHL", "UPS", "FedEx"])} tracking ${hex(r, 18)}`,
  (r) => `rate limit exceeded for api key ${hex(r, 8)}: ${int(r, 1000)} requests in 60s`,
  (r) => `feature flag ${pick(r, ["new-checkout", "fast-search", "dark-mode"])} evaluated to ${r() < 0.5}`,
  (r) => `inventory reservation ${hex(r, 12)} expired after 15m; released ${int(r, 20)} items`,
  (r) => `websocket client disconnected code=1006 after ${int(r, 3600)}s`,
  (r) => `template rendered in ${int(r, 60)}ms (${int(r, 120)} components, cache hit ratio 0.${int(r, 99)})`,
  (r) => `JWT verification failed: token expired at ${new Date(1.7e12 + int(r, 1e9)).toISOString()}`,
];

function int(r: () => number, n: number): number {
  return Math.floor(r() * n);
}
function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}
function hex(r: () => number, length: number): string {
  let s = "";
  while (s.length < length) s += Math.floor(r() * 0xffffffff).toString(16);
  return s.slice(0, length);
}
function pickLevel(r: () => number): NonNullable<NewLogEntry["level"]> {
  let x = r();
  for (const [level, weight] of LEVEL_WEIGHTS) {
    x -= weight;
    if (x < 0) return level;
  }
  return "info";
}

/** One realistic entry: ~90-byte message, ~150-byte fields object, as a service would send it. */
export function makeEntry(r: () => number, timestamp?: number): NewLogEntry {
  const entry: NewLogEntry = {
    level: pickLevel(r),
    source: pick(r, SOURCES),
    message: pick(r, TEMPLATES)(r),
    fields: {
      requestId: hex(r, 16),
      userId: `user-${int(r, USER_COUNT)}`,
      route: pick(r, ROUTES),
      status: pick(r, [200, 200, 200, 201, 404, 500]),
      durationMs: int(r, 1000),
      region: pick(r, REGIONS),
    },
  };
  if (timestamp !== undefined) entry.timestamp = timestamp;
  return entry;
}

/**
 * Producers draw from a pre-generated pool so that generating test data does not compete with
 * the store for the CPU; each call still returns a fresh object, as a parsed request body would be.
 */
export class EntryPool {
  readonly #pool: NewLogEntry[];
  #next = 0;

  constructor(size = 8192, seed = 42) {
    const r = createRandom(seed);
    this.#pool = Array.from({ length: size }, () => makeEntry(r));
  }

  next(): NewLogEntry {
    const template = this.#pool[this.#next]!;
    this.#next = (this.#next + 1) % this.#pool.length;
    return {
      level: template.level,
      source: template.source,
      message: template.message,
      fields: template.fields,
    };
  }

  take(count: number): NewLogEntry[] {
    const out = new Array<NewLogEntry>(count);
    for (let i = 0; i < count; i++) out[i] = this.next();
    return out;
  }
}

/** A directory of scratch databases removed when the run ends (also on Ctrl-C). */
export class TempDatabases {
  readonly dir: string;
  #counter = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "batchlog-bench-"));
    const cleanup = () => this.removeAll();
    process.once("exit", cleanup);
  }

  /** A fresh, not yet existing database path. */
  path(label: string): string {
    return join(this.dir, `${label}-${++this.#counter}.db`);
  }

  url(path: string): string {
    return `file:${path}`;
  }

  copy(from: string, label: string): string {
    const to = this.path(label);
    copyFileSync(from, to);
    for (const suffix of ["-wal", "-shm"])
      if (existsSync(from + suffix)) copyFileSync(from + suffix, to + suffix);
    return to;
  }

  remove(path: string): void {
    for (const suffix of ["", "-wal", "-shm", ".reserve"]) rmSync(path + suffix, { force: true });
  }

  removeAll(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `bench/.cache/` (gitignored): the 1M-entry read fixture survives between runs. */
export function cacheDir(): string {
  const dir = join(import.meta.dirname, "..", ".cache");
  mkdirSync(dir, { recursive: true });
  return dir;
}
