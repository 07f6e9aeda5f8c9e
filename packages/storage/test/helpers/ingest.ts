import { randomBytes } from "node:crypto";
import { type LogStorage, QueueFullError } from "../../src/index.js";

/** Everything a fault test needs to know about what it ingested. */
export interface IngestLedger {
  /** id → message of every store() that resolved (acknowledged). */
  acknowledged: Map<number, string>;
  /** Every store() promise, settled or not (each already has its handlers attached). */
  promises: Promise<void>[];
  queueFull: QueueFullError[];
  /** Rejections other than QueueFullError. */
  otherErrors: Error[];
}

export function newLedger(): IngestLedger {
  return { acknowledged: new Map(), promises: [], queueFull: [], otherErrors: [] };
}

/** Stores one entry with an incompressible ~300-byte message and records the outcome. */
export function storeTracked(storage: LogStorage, ledger: IngestLedger, prefix: string, n: number): void {
  const message = `${prefix}-${n}-${randomBytes(225).toString("base64")}`;
  ledger.promises.push(
    storage.store({ level: "info", source: "fault", message }).then(
      (id) => {
        ledger.acknowledged.set(id, message);
      },
      (error: Error) => {
        if (error instanceof QueueFullError) ledger.queueFull.push(error);
        else ledger.otherErrors.push(error);
      },
    ),
  );
}

/** Ingests in bursts until `done()` holds (checked between bursts) or the timeout passes. */
export async function ingestUntil(
  storage: LogStorage,
  ledger: IngestLedger,
  prefix: string,
  done: () => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let n = 0; !done(); ) {
    if (Date.now() > deadline)
      throw new Error(`ingestUntil(${prefix}): condition not met in ${timeoutMs} ms`);
    for (let i = 0; i < 100; i++) storeTracked(storage, ledger, prefix, n++);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function until(condition: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error(`${what} not met within ${timeoutMs} ms`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}
