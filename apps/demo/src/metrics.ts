// Prometheus metrics (prom-client) on a registry of its own. Storage counters and gauges are read
// from one `storage.stats()` snapshot per scrape; batch size, commit time and enqueue-to-commit
// time are histograms fed by `storage.onBatch` (no onCommit listener: it would decode every
// committed entry on the main thread just to count them); ingest-to-commit time is observed per
// HTTP request.

import { readFileSync } from "node:fs";
import type { Server } from "node:net";
import { performance } from "node:perf_hooks";
import type { LogService } from "@batchlog/service";
import type { LogStorage, StorageStats } from "@batchlog/storage";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { readinessOf } from "./readiness.js";

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** Prometheus text exposition of every metric. */
  render(): Promise<string>;
  /**
   * Time from receiving an ingest request to the commit of its last entry (wait=true), and its
   * items by status; `refusedCodes` are the codes of its refused items (result.errors).
   */
  observeIngest(
    route: string,
    status: number,
    seconds: number,
    entries: number,
    refusedCodes?: readonly string[],
    /** Entries were stored and the answer waited for their commit: `seconds` is receipt to commit. */
    committed?: boolean,
  ): void;
  /**
   * The entries of an ingest request the storage refused whole (429, 503): the service throws
   * instead of answering it item by item, so observeIngest never sees it. `code`: the error's.
   */
  observeIngestRefused(route: string, code: string | undefined, entries: number): void;
  /** Time a read took, by kind (see QueryKind) and outcome (a failed one: until it failed). */
  observeQuery(kind: QueryKind, seconds: number, outcome: QueryOutcome): void;
  observeResponse(route: string, method: string, status: number): void;
  /** A request whose client went away before it was answered (no response to count). */
  observeAbort(route: string, method: string): void;
  /** Open connections of `server` and those it closed past maxConnections (connection-limit.ts). */
  trackConnections(server: Server): void;
  /** Stops listening to commits. */
  close(): void;
}

/**
 * `readyFailureGraceMs`: batchlog_health follows /readyz (readiness.ts), which forgives write
 * failures younger than this.
 */
/**
 * Reads timed apart: full_text is a search with q (FTS5), search one without; context an entry's
 * neighbours; fields the field suggestions; export each page read of a download (its read only,
 * not the time the client takes to receive it).
 */
export type QueryKind = "search" | "full_text" | "context" | "recent" | "fields" | "stats" | "export";
/** timeout: BATCHLOG_QUERY_TIMEOUT_MS stopped it (504); error: any other failure (503, 500). */
export type QueryOutcome = "ok" | "timeout" | "error";

/** The demo package's version (src/ and dist/ both sit beside package.json). */
const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** An item's refusal code → the reason label (the same names as batchlog_entries_rejected_total). */
const REFUSAL_REASONS: Readonly<Record<string, string>> = {
  BATCHLOG_VALIDATION: "validation",
  BATCHLOG_TOO_OLD: "too_old",
  BATCHLOG_TOO_NEW: "too_new",
  BATCHLOG_QUEUE_FULL: "queue_full",
  BATCHLOG_CLOSED: "closed",
  BATCHLOG_WRITE_TIMEOUT: "timeout",
  BATCHLOG_UNAVAILABLE: "unavailable",
};

export function createMetrics(
  storage: LogStorage,
  service: LogService | undefined,
  readyFailureGraceMs = 0,
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Which build answers: dashboards tell versions apart across a rollout, and alerts can join on it.
  new Gauge({
    name: "batchlog_build_info",
    help: "Always 1; the labels say which batchlog and which Node.js runtime answer",
    labelNames: ["version", "node"],
    registers: [registry],
  })
    .labels(VERSION, process.versions.node)
    .set(1);
  let snapshot: StorageStats = storage.stats();

  const gauge = (name: string, help: string, read: (s: StorageStats) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const value = read(snapshot);
        // null (no commit yet; no file for a server database): no sample, not prom-client's 0
        if (value === null) this.remove();
        else this.set(value);
      },
    });
  // Counters mirror the storage's cumulative totals: reset and set to the total at each scrape.
  const counter = (name: string, help: string, read: (s: StorageStats) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(snapshot));
      },
    });

  // A counter, not a "since the previous scrape" ratio: two Prometheus servers scraping the same
  // target would each see the other's window. rate() of it is the utilization (0–1).
  new Counter({
    name: "batchlog_event_loop_busy_seconds_total",
    help: "Time the HTTP thread's event loop spent busy (not idle in the poll phase); rate() = utilization 0–1",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(performance.eventLoopUtilization().active / 1000);
    },
  });
  gauge("batchlog_queue_depth", "Entries queued and not yet committed", (s) => s.queueDepth);
  gauge("batchlog_queue_capacity", "Queue capacity (entries)", (s) => s.queueCapacity);
  gauge("batchlog_queue_bytes", "Approximate bytes held by entries not yet committed", (s) => s.queueBytes);
  gauge("batchlog_queue_capacity_bytes", "Queue capacity in bytes", (s) => s.queueCapacityBytes);
  gauge(
    "batchlog_consecutive_write_failures",
    "Failed batch writes since the last success",
    (s) => s.consecutiveFailures,
  );
  gauge("batchlog_database_bytes", "Size of the SQLite database file in bytes", (s) => s.databaseBytes);
  gauge("batchlog_wal_bytes", "Size of the SQLite -wal file in bytes", (s) => s.walBytes);
  gauge(
    "batchlog_disk_free_bytes",
    "Free space on the volume holding the database file, in bytes (for its writer)",
    (s) => s.diskFreeBytes,
  );
  gauge(
    "batchlog_disk_reserve_bytes",
    "Size of the disk reserve file (0: released or no room to create it; a full disk would then stop writes)",
    (s) => s.diskReserveBytes,
  );
  gauge("batchlog_last_commit_timestamp_seconds", "Unix time of the last committed batch", (s) =>
    s.lastCommitAt === null ? null : s.lastCommitAt.getTime() / 1000,
  );
  new Gauge({
    name: "batchlog_health",
    help: "Readiness as /readyz answers it: 1 for the current status (ok, degraded, down), 0 for the others",
    labelNames: ["status"],
    registers: [registry],
    collect() {
      const { status } = readinessOf(storage.health(), readyFailureGraceMs);
      for (const s of ["ok", "degraded", "down"]) this.labels(s).set(s === status ? 1 : 0);
    },
  });
  counter("batchlog_entries_enqueued_total", "Entries accepted into the queue", (s) => s.entriesEnqueued);
  counter("batchlog_entries_stored_total", "Entries committed to the database", (s) => s.entriesStored);
  counter(
    "batchlog_entries_failed_total",
    "Entries accepted into the queue whose write then failed (refused by the database, or retries given up)",
    (s) => s.entriesFailed,
  );
  counter("batchlog_batches_total", "Batch transactions committed", (s) => s.batches);
  counter("batchlog_write_retries_total", "Batch writes retried after a transient failure", (s) => s.retries);
  // Only where the checkpointer thread runs (a local file with the writer thread): a 0 elsewhere
  // would read as "never checkpoints".
  if (snapshot.backgroundCheckpoints !== null) {
    counter(
      "batchlog_background_checkpoints_total",
      "WAL checkpoints the checkpointer thread completed beside the writer",
      (s) => s.backgroundCheckpoints?.completed ?? 0,
    );
    counter(
      "batchlog_background_checkpoint_failures_total",
      "WAL checkpoints of the checkpointer thread that failed (the writer's own checkpoint still bounds the WAL)",
      (s) => s.backgroundCheckpoints?.failed ?? 0,
    );
  }
  // The service validates ingested items before the storage sees them, so the storage's own
  // "validation" count misses most invalid entries; every entry the storage refuses as invalid
  // is also an invalid item the service counts, so its count replaces the storage's.
  new Counter({
    name: "batchlog_entries_rejected_total",
    help:
      "Entries refused, by reason: validation = invalid items of ingest requests (service or storage checks); " +
      "too_old = items older than the age retention (BATCHLOG_RETENTION_MAX_AGE, or their level's); " +
      "too_new = items stamped further ahead than BATCHLOG_MAX_FUTURE; " +
      "queue_full, closed, timeout, unavailable = refused by the storage",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(snapshot.rejectedByReason)) {
        this.labels(reason).inc(reason === "validation" && service ? service.stats().invalid : n);
      }
      if (service) {
        const { tooOld, tooNew } = service.stats();
        this.labels("too_old").inc(tooOld);
        this.labels("too_new").inc(tooNew);
      }
    },
  });
  // True histograms, observed per committed batch through the storage's onBatch hook (sizes and
  // timings only: nothing is decoded on the HTTP thread for them).
  const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  const batchSize = new Histogram({
    name: "batchlog_batch_size",
    help: "Entries per committed batch (one transaction)",
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: "batchlog_commit_duration_seconds",
    help: "Time one batch transaction took to commit",
    buckets: latencyBuckets,
    registers: [registry],
  });
  const enqueueToCommit = new Histogram({
    name: "batchlog_enqueue_to_commit_seconds",
    help: "Time from store() to the commit that acknowledged the entry",
    buckets: latencyBuckets,
    registers: [registry],
  });
  const stopBatches = storage.onBatch((batch) => {
    batchSize.observe(batch.size);
    commitSeconds.observe(batch.commitMs / 1000);
    for (const ms of batch.enqueueToCommitMs) enqueueToCommit.observe(ms / 1000);
  });

  const ingestSeconds = new Histogram({
    name: "batchlog_ingest_to_commit_seconds",
    help: "Time from receiving an ingest request to the commit of its entries",
    labelNames: ["route"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const ingestEntries = new Counter({
    name: "batchlog_ingest_entries_total",
    help:
      "Items of ingest requests answered item by item (not those refused whole: malformed, too large, " +
      "nothing stored), by route and response status, stored or not: a 400 counts its stored items too " +
      '(invalid ones: batchlog_entries_rejected_total{reason="validation"})',
    labelNames: ["route", "status"],
    registers: [registry],
  });
  const ingestRefused = new Counter({
    name: "batchlog_ingest_rejected_entries_total",
    help:
      "Items of ingest requests not stored, by route and reason (validation, too_old, too_new, queue_full, closed, " +
      "timeout, unavailable, other), those of requests the storage refused whole (429, 503) included; requests " +
      "refused for what they are (malformed, too large, unsupported, unauthorized) are in batchlog_http_responses_total",
    labelNames: ["route", "reason"],
    registers: [registry],
  });
  const queries = new Histogram({
    name: "batchlog_query_duration_seconds",
    help:
      "Time a read took, by kind (search, full_text: a search with q, context, recent, fields, stats, export: each " +
      "1000-entry page of a download) and outcome (ok, " +
      "timeout: stopped by BATCHLOG_QUERY_TIMEOUT_MS, error); refused parameters (400) are not reads",
    labelNames: ["kind", "outcome"],
    // up to 30 s, the default BATCHLOG_QUERY_TIMEOUT_MS: slow reads and timeouts were all +Inf
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const responses = new Counter({
    name: "batchlog_http_responses_total",
    help: "HTTP responses by route, method and status",
    labelNames: ["route", "method", "status"],
    registers: [registry],
  });

  const aborted = new Counter({
    name: "batchlog_http_requests_aborted_total",
    help:
      "Requests whose client closed the connection before the answer, by route and method (a shipper timing " +
      "out while its entries wait for a slow commit); they are not in batchlog_http_responses_total",
    labelNames: ["route", "method"],
    registers: [registry],
  });

  let httpServer: Server | undefined;
  new Gauge({
    name: "batchlog_http_connections",
    help: "HTTP connections open (live-tail streams included); the cap is BATCHLOG_MAX_CONNECTIONS",
    registers: [registry],
    async collect() {
      const server = httpServer;
      if (server === undefined) return;
      const open = await new Promise<number>((resolve) =>
        server.getConnections((error, count) => resolve(error ? 0 : count)),
      );
      this.set(open);
    },
  });
  const connectionsDropped = new Counter({
    name: "batchlog_http_connections_dropped_total",
    help: "Connections closed unanswered as they were accepted, BATCHLOG_MAX_CONNECTIONS being open",
    registers: [registry],
  });

  if (service) {
    new Gauge({
      name: "batchlog_tail_subscribers",
      help: "Open live-tail streams",
      registers: [registry],
      collect() {
        this.set(service.stats().tailSubscribers);
      },
    });
    new Counter({
      name: "batchlog_tail_dropped_total",
      help:
        "Entries dropped for live-tail clients that could not keep up, or skipped by a resume from an old " +
        "Last-Event-ID (counted within the resume window: a lower bound)",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(service.stats().tailDropped);
      },
    });
    new Counter({
      name: "batchlog_ingest_late_failures_total",
      help: "Entries accepted with wait=false that failed to store afterwards",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(service.stats().lateFailures);
      },
    });
    new Counter({
      name: "batchlog_retention_runs_total",
      help: "Retention runs finished, by result (success, failure)",
      labelNames: ["result"],
      registers: [registry],
      collect() {
        const { retentionRuns, retentionFailures } = service.stats();
        this.reset();
        this.labels("success").inc(retentionRuns - retentionFailures);
        this.labels("failure").inc(retentionFailures);
      },
    });
    // The storage's count moves as each chunk of a run commits; the run's own total comes at its end.
    counter(
      "batchlog_retention_deleted_entries_total",
      "Entries deleted by retention, counted as each chunk of a run commits",
      (s) => s.entriesDeleted,
    );
    counter(
      "batchlog_erased_entries_total",
      "Entries deleted by request (DELETE /api/logs), counted as each page of matches commits",
      (s) => s.entriesErased,
    );
    new Gauge({
      name: "batchlog_retention_last_success_timestamp_seconds",
      help: "Unix time the last successful retention run ended (absent before the first)",
      registers: [registry],
      collect() {
        const at = service.stats().retentionLastSuccessAt;
        // No sample until a run succeeded: prom-client would expose an unset gauge as 0, which
        // `time() - gauge > 900` reads as a retention stalled since 1970, on every server without one.
        if (at === null) this.remove();
        else this.set(at / 1000);
      },
    });
  }

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      snapshot = storage.stats();
      return registry.metrics();
    },
    observeIngest(
      route,
      status,
      seconds,
      entries,
      refusedCodes = [],
      committed = status < 300 && status !== 202,
    ) {
      // A 202 (?wait=false) is answered at enqueue: it has no commit to time; a 400 that stored
      // its good items waited for their commit as a 201 does.
      if (committed) ingestSeconds.labels(route).observe(seconds);
      ingestEntries.labels(route, String(status)).inc(entries);
      // Counted per reason, not per item: a request of 1000 refused items is one inc() per reason.
      if (refusedCodes.length === 0) return;
      const byReason = new Map<string, number>();
      for (const code of refusedCodes) {
        const reason = REFUSAL_REASONS[code] ?? "other";
        byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
      }
      for (const [reason, n] of byReason) ingestRefused.labels(route, reason).inc(n);
    },
    observeIngestRefused(route, code, entries) {
      ingestRefused.labels(route, (code && REFUSAL_REASONS[code]) ?? "other").inc(entries);
    },
    observeQuery(kind, seconds, outcome) {
      queries.labels(kind, outcome).observe(seconds);
    },
    observeResponse(route, method, status) {
      responses.labels(route, method, String(status)).inc();
    },
    observeAbort(route, method) {
      aborted.labels(route, method).inc();
    },
    trackConnections(server) {
      httpServer = server;
      server.on("drop", () => connectionsDropped.inc());
    },
    close() {
      stopBatches();
    },
  };
}
