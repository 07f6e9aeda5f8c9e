import {
  type CleanupPolicy,
  isLogLevel,
  LOG_LEVELS,
  type LogLevel,
  type LogStorage,
} from "@batchlog/storage";
import type { ServiceLogger } from "./service-logger.js";

export interface RetentionOptions {
  /** Delete entries whose timestamp is older than this many ms (of the levels not in maxAgeByLevel). */
  maxAgeMs?: number;
  /** An age per level, in place of maxAgeMs for the levels named (`{ debug: DAY, error: 90 * DAY }`). */
  maxAgeByLevel?: Partial<Record<LogLevel, number>>;
  /** Keep at most this many newest entries. */
  maxEntries?: number;
  /** Keep the database's pages in use under this many bytes, oldest entries first (approximate: see CleanupPolicy). */
  maxBytes?: number;
  /** Time between the end of one run and the start of the next. */
  intervalMs: number;
  /** Delay before the first run. @default 1000 (capped at intervalMs) */
  initialDelayMs?: number;
}

/** One finished run, for metrics. */
export interface RetentionRun {
  ok: boolean;
  /** Rows deleted (0 when the run failed). */
  deleted: number;
  /** When the run ended, epoch ms. */
  at: number;
}

export interface RetentionHandle {
  /** Stops the timer and waits for a run in progress. Idempotent. */
  stop(): Promise<void>;
  /** Runs once now (after any run in progress); resolves with the rows deleted. */
  runNow(): Promise<number>;
}

/**
 * Calls `storage.cleanup` periodically. Runs never overlap: the next one is scheduled when the
 * previous finishes. A failed run is logged and retried at the next interval. Timers are unref'd.
 */
export function startRetention(
  storage: LogStorage,
  logger: ServiceLogger,
  { maxAgeMs, maxAgeByLevel, maxEntries, maxBytes, intervalMs, initialDelayMs = 1000 }: RetentionOptions,
  now: () => number = Date.now,
  onRun: (run: RetentionRun) => void = () => {},
): RetentionHandle {
  const byLevel = Object.entries(maxAgeByLevel ?? {}).filter(([, ms]) => ms !== undefined);
  if (maxAgeMs === undefined && byLevel.length === 0 && maxEntries === undefined && maxBytes === undefined) {
    throw new RangeError(
      "Expected `maxAgeMs`, `maxAgeByLevel`, `maxEntries` or `maxBytes` to be set for retention",
    );
  }
  for (const [level, ms] of byLevel) {
    if (!isLogLevel(level)) {
      throw new RangeError(
        `Expected \`maxAgeByLevel\` keys to be levels (${LOG_LEVELS.join(", ")}), got \`${level}\``,
      );
    }
    checkPositive(`maxAgeByLevel.${level}`, ms as number);
  }
  checkPositive("intervalMs", intervalMs);
  if (!Number.isFinite(initialDelayMs) || initialDelayMs < 0) {
    throw new RangeError(`Expected \`initialDelayMs\` to be a finite number >= 0, got \`${initialDelayMs}\``);
  }
  if (maxAgeMs !== undefined) checkPositive("maxAgeMs", maxAgeMs);
  if (maxEntries !== undefined && (!Number.isInteger(maxEntries) || maxEntries < 0)) {
    throw new RangeError(`Expected \`maxEntries\` to be an integer >= 0, got \`${maxEntries}\``);
  }
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes <= 0)) {
    throw new RangeError(`Expected \`maxBytes\` to be an integer > 0, got \`${maxBytes}\``);
  }
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> = Promise.resolve(0);

  const runOnce = async (): Promise<number> => {
    const policy: CleanupPolicy = {};
    if (maxAgeMs !== undefined) policy.olderThan = new Date(now() - maxAgeMs);
    if (byLevel.length > 0) {
      policy.olderThanByLevel = Object.fromEntries(
        byLevel.map(([level, ms]) => [level, new Date(now() - ms!)]),
      );
    }
    if (maxEntries !== undefined) policy.maxEntries = maxEntries;
    if (maxBytes !== undefined) policy.maxBytes = maxBytes;
    const started = Date.now();
    try {
      const deleted = await storage.cleanup(policy);
      const log = {
        deleted,
        durationMs: Date.now() - started,
        maxAgeMs,
        maxAgeByLevel,
        maxEntries,
        maxBytes,
      };
      if (deleted > 0) logger.info(log, "retention deleted old log entries");
      else logger.debug(log, "retention found nothing to delete");
      onRun({ ok: true, deleted, at: Date.now() });
      return deleted;
    } catch (error) {
      logger.error({ err: error }, "retention run failed; will retry at the next interval");
      onRun({ ok: false, deleted: 0, at: Date.now() });
      return 0;
    }
  };

  const enqueueRun = (): Promise<number> => {
    running = running.then(runOnce);
    return running;
  };

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      void enqueueRun().then(() => schedule(intervalMs));
    }, delay);
    timer.unref();
  };

  schedule(Math.min(initialDelayMs, intervalMs));
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
    },
    runNow: enqueueRun,
  };
}

function checkPositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Expected \`${name}\` to be a finite number > 0, got \`${value}\``);
  }
}
