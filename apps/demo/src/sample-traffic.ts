// Realistic sample traffic for the demo (--generate <entries/s>): several services, mostly info,
// some debug, warnings and errors with stack traces, fields such as status, duration_ms, user_id
// and trace_id. Entries go through the service like any client's (validation, batching, tail).
import { randomBytes } from "node:crypto";
import type { LogService } from "@batchlog/service";
import type { LogStorage } from "@batchlog/storage";
import type { Logger } from "pino";

export interface SampleTraffic {
  stop(): void;
}

const TICK_MS = 100;

export function startSampleTraffic(service: LogService, perSecond: number, logger: Logger): SampleTraffic {
  let carry = 0;
  let inFlight = 0;
  let skipped = 0;
  const timer = setInterval(() => {
    carry += (perSecond * TICK_MS) / 1000;
    const count = Math.floor(carry);
    carry -= count;
    if (count === 0) return;
    // Never pile up: if the store is slower than the generator, skip ticks instead of queueing.
    if (inFlight >= 4) {
      skipped += count;
      return;
    }
    inFlight++;
    const body = Buffer.from(JSON.stringify(sampleEntries(count)));
    service
      .ingestNative(body, "application/json", { wait: true })
      .then((result) => {
        if (result.errors.length > 0)
          logger.debug({ errors: result.errors.length }, "sample traffic: entries refused");
      })
      .catch((error: unknown) => logger.debug({ err: error }, "sample traffic: request refused"))
      .finally(() => inFlight--);
  }, TICK_MS);
  timer.unref();
  logger.info({ perSecond }, "generating sample traffic");
  return {
    stop() {
      clearInterval(timer);
      if (skipped > 0) logger.info({ skipped }, "sample traffic: entries skipped because the store was busy");
    },
  };
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const between = (lo: number, hi: number) => Math.floor(lo + Math.random() * (hi - lo + 1));
const hex = (bytes: number) => randomBytes(bytes).toString("hex");

const ROUTES = [
  "/api/orders",
  "/api/cart",
  "/api/users/me",
  "/api/search",
  "/api/products/:id",
  "/api/checkout",
];
const USERS = Array.from({ length: 40 }, (_, i) => `u_${(1000 + i * 37).toString(36)}`);
const JOBS = ["send-receipt", "resize-image", "sync-inventory", "rebuild-search-index", "expire-carts"];

interface SampleEntry {
  timestamp: string;
  level: string;
  source: string;
  message: string;
  fields: Record<string, unknown>;
}

type Generator = (traceId: string) => Omit<SampleEntry, "timestamp" | "source">;

const GENERATORS: Record<string, Generator> = {
  api(trace_id) {
    const method = pick(["GET", "GET", "GET", "POST", "PUT", "DELETE"]);
    const path = pick(ROUTES);
    const roll = Math.random();
    const status =
      roll < 0.9 ? pick([200, 200, 200, 201, 204, 304]) : roll < 0.97 ? pick([400, 401, 404, 409, 429]) : 500;
    const duration_ms = Math.round(3 + Math.random() ** 3 * (status === 500 ? 5000 : 900));
    const level = status >= 500 ? "error" : status >= 400 || duration_ms > 700 ? "warn" : "info";
    const fields = {
      method,
      path,
      status,
      duration_ms,
      user_id: pick(USERS),
      trace_id,
      region: pick(["eu-west-1", "us-east-1"]),
    };
    if (status === 500) {
      return {
        level,
        message: `${method} ${path} ${status} ${duration_ms}ms\n${stack("TypeError", "Cannot read properties of undefined (reading 'items')", "orders/serialize")}`,
        fields: { ...fields, error_type: "TypeError" },
      };
    }
    return { level, message: `${method} ${path} ${status} ${duration_ms}ms`, fields };
  },
  worker(trace_id) {
    const job = pick(JOBS);
    const duration_ms = between(20, 4000);
    const roll = Math.random();
    if (roll < 0.05) {
      return {
        level: "error",
        message: `job ${job} failed after 3 attempts\n${stack("Error", "connect ETIMEDOUT 10.0.3.17:5432", `jobs/${job}`)}`,
        fields: { job, attempts: 3, duration_ms, trace_id },
      };
    }
    if (roll < 0.25)
      return {
        level: "debug",
        message: `job ${job} picked from queue`,
        fields: { job, queue_depth: between(0, 250), trace_id },
      };
    return {
      level: "info",
      message: `job ${job} completed in ${duration_ms}ms`,
      fields: { job, duration_ms, trace_id },
    };
  },
  billing(trace_id) {
    const amount = (between(199, 49_999) / 100).toFixed(2);
    const user_id = pick(USERS);
    const roll = Math.random();
    if (roll < 0.06) {
      return {
        level: "warn",
        message: `payment declined: ${pick(["card_expired", "insufficient_funds", "do_not_honor"])}`,
        fields: { user_id, amount, currency: "EUR", status: 402, trace_id },
      };
    }
    if (roll < 0.08) {
      return {
        level: "error",
        message: `payment provider timeout after 5000ms\n${stack("TimeoutError", "request to https://psp.example/v1/charges timed out", "billing/charge")}`,
        fields: { user_id, amount, currency: "EUR", status: 504, duration_ms: 5000, trace_id },
      };
    }
    return {
      level: "info",
      message: `charged ${amount} EUR`,
      fields: { user_id, amount, currency: "EUR", status: 200, duration_ms: between(80, 900), trace_id },
    };
  },
  auth(trace_id) {
    const user_id = pick(USERS);
    const roll = Math.random();
    if (roll < 0.1)
      return {
        level: "warn",
        message: "login failed: invalid password",
        fields: { user_id, status: 401, ip: `203.0.113.${between(1, 254)}`, trace_id },
      };
    if (roll < 0.12)
      return {
        level: "fatal",
        message: "signing key unavailable: cannot issue tokens",
        fields: { kid: `key-${hex(2)}`, status: 503, trace_id },
      };
    if (roll < 0.4)
      return {
        level: "trace",
        message: `token refreshed for ${user_id}`,
        fields: { user_id, ttl_s: 900, trace_id },
      };
    return {
      level: "info",
      message: `user ${user_id} logged in`,
      fields: { user_id, status: 200, duration_ms: between(40, 300), mfa: Math.random() < 0.3, trace_id },
    };
  },
  scheduler() {
    const job = pick(JOBS);
    return {
      level: pick(["debug", "info"]),
      message: `scheduled ${job} (next run in ${between(1, 60)}m)`,
      fields: { job, lag_ms: between(0, 1500) },
    };
  },
};

const SOURCE_WEIGHTS: readonly (readonly [string, number])[] = [
  ["api", 0.45],
  ["worker", 0.2],
  ["billing", 0.12],
  ["auth", 0.15],
  ["scheduler", 0.08],
];

function pickSource(): string {
  let roll = Math.random();
  for (const [source, weight] of SOURCE_WEIGHTS) {
    roll -= weight;
    if (roll < 0) return source;
  }
  return "api";
}

/** `count` entries stamped within the `spanMs` before `now`, several per trace. */
export function sampleEntries(count: number, now: number = Date.now(), spanMs = 1000): SampleEntry[] {
  const entries: SampleEntry[] = [];
  let trace = hex(16);
  for (let i = 0; i < count; i++) {
    if (Math.random() < 0.35) trace = hex(16);
    const source = pickSource();
    const generated = (GENERATORS[source] as Generator)(trace);
    entries.push({ timestamp: new Date(now - between(0, spanMs - 1)).toISOString(), source, ...generated });
  }
  return entries;
}

const HISTORY_MS = 3_600_000;

/**
 * On an empty database, an hour of history (up to 20,000 entries at a tenth of the live rate) so
 * that the volume histogram and searches show something the moment the page opens.
 */
export async function backfillSampleHistory(
  service: LogService,
  storage: LogStorage,
  perSecond: number,
  logger: Logger,
): Promise<number> {
  if ((await storage.getRecent(1)).length > 0) return 0;
  const total = Math.min(20_000, Math.ceil((perSecond / 10) * (HISTORY_MS / 1000)));
  const now = Date.now();
  let stored = 0;
  for (let done = 0; done < total; done += 1000) {
    const entries = sampleEntries(Math.min(1000, total - done), now, HISTORY_MS);
    const result = await service.ingestNative(Buffer.from(JSON.stringify(entries)), "application/json");
    stored += result.accepted;
  }
  logger.info({ entries: stored }, "sample traffic: backfilled the last hour");
  return stored;
}

function stack(name: string, message: string, module: string): string {
  return [
    `${name}: ${message}`,
    `    at ${module.split("/").pop()} (/srv/app/src/${module}.ts:${between(10, 300)}:${between(3, 40)})`,
    `    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`,
    `    at async handle (/srv/app/src/http/handler.ts:${between(10, 120)}:${between(3, 30)})`,
  ].join("\n");
}
