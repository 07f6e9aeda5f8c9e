// Prometheus metrics (prom-client) on a registry of its own. Storage counters and gauges are read
// from one `storage.stats()` snapshot per scrape; batch size, commit time and enqueue-to-commit
// time are histograms fed by `storage.onBatch` (no onCommit listener: it would decode every
// committed entry on the main thread just to count them); ingest-to-commit time is observed per
// HTTP request.

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
  /** Time from receiving an ingest request to the commit of its last entry (wait=true). */
  observeIngest(route: string, status: number, seconds: number, entries: number): void;
  observeResponse(route: string, method: string, status: number): void;
  /** Stops listening to commits. */
  close(): void;
}

/**
 * `readyFailureGraceMs`: batchlog_health follows /readyz (readiness.ts), which forgives write
 * failures younger than this.
 */
export function createMetrics(
  storage: LogStorage,
  service: LogService | undefined,
  readyFailureGraceMs = 0,
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let snapshot: StorageStats = storage.stats();

  const gauge = (name: string, help: string, read: (s: StorageStats) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const value = read(snapshot);
        if (value !== null) this.set(value);
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

  let elu = performance.eventLoopUtilization();
  new Gauge({
    name: "batchlog_event_loop_utilization",
    help: "Share of time the HTTP thread's event loop was busy since the previous scrape (0–1)",
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, elu).utilization);
      elu = now;
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
  counter("batchlog_entries_failed_total", "Entries whose write failed", (s) => s.entriesFailed);
  counter("batchlog_batches_total", "Batches committed", (s) => s.batches);
  counter("batchlog_write_retries_total", "Batch writes retried after a transient failure", (s) => s.retries);
  // The service validates ingested items before the storage sees them, so the storage's own
  // "validation" count misses most invalid entries; every entry the storage refuses as invalid
  // is also an invalid item the service counts, so its count replaces the storage's.
  new Counter({
    name: "batchlog_entries_rejected_total",
    help:
      "Entries refused, by reason: validation = invalid items of ingest requests (service or storage checks); " +
      "queue_full, closed, timeout, unavailable = refused by the storage",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(snapshot.rejectedByReason)) {
        this.labels(reason).inc(reason === "validation" && service ? service.stats().invalid : n);
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
  const responses = new Counter({
    name: "batchlog_http_responses_total",
    help: "HTTP responses by route, method and status",
    labelNames: ["route", "method", "status"],
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
      help: "Entries dropped for live-tail clients that could not keep up",
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
  }

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      snapshot = storage.stats();
      return registry.metrics();
    },
    observeIngest(route, status, seconds, entries) {
      // A 202 (?wait=false) is answered at enqueue: it has no commit to time.
      if (status < 300 && status !== 202) ingestSeconds.labels(route).observe(seconds);
      ingestEntries.labels(route, String(status)).inc(entries);
    },
    observeResponse(route, method, status) {
      responses.labels(route, method, String(status)).inc();
    },
    close() {
      stopBatches();
    },
  };
}
