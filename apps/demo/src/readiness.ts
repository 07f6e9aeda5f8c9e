// What "ready" means for /readyz, /ready and the batchlog_health metric. The storage reports
// degraded at the first failed write (SPEC §2), but one failure that the retry fixes 50 ms later
// is no reason to take the pod out of a load balancer: readiness forgives write failures for a
// grace period, and is lost at once only for what a retry cannot fix by itself (storage closed or
// unusable) or a queue at its high-water mark (new traffic would be refused anyway). Failures
// count only while entries wait on them: once the failed ones were refused or withdrawn and
// nothing is pending, no write is trying, so a failure from a minute ago says nothing about now;
// not ready, the server would get no traffic and so never learn that the disk has room again.
import type { HealthStatus, StorageHealth } from "@batchlog/storage";

export interface Readiness {
  /** ok: ready (200); degraded or down: not ready (503). */
  status: HealthStatus;
  reasons: string[];
}

export function readinessOf(health: StorageHealth, failureGraceMs: number, now = Date.now()): Readiness {
  if (health.status !== "degraded") return { status: health.status, reasons: health.reasons };
  const failingMs = health.failingSince === null ? 0 : now - health.failingSince.getTime();
  const pending = health.queue.depth > 0;
  const failingTooLong = health.consecutiveFailures > 0 && failingMs >= failureGraceMs && pending;
  const reasons = health.reasons.map((reason, i) =>
    // the storage lists its write failures first
    i === 0 && health.consecutiveFailures > 0
      ? pending
        ? `${reason} (failing for ${(failingMs / 1000).toFixed(1)} s; not ready after ${failureGraceMs / 1000} s)`
        : `${reason} (nothing pending: ready, so that new writes show whether the database works again)`
      : reason,
  );
  return { status: failingTooLong || health.queueHighWater ? "degraded" : "ok", reasons };
}
