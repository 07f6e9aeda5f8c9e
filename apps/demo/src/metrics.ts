// Prometheus metrics (prom-client) on a registry of its own. Storage counters, gauges and latency
// quantiles are read from one `storage.stats()` snapshot per scrape; ingest-to-commit time is a
// histogram observed per HTTP request. (No onCommit listener: it would make the storage decode
// every committed entry on the main thread just to count them.)
import type { LogService } from "@batchlog/service";
import type { LatencySummary, LogStorage, StorageStats } from "@batchlog/storage";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

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

const QUANTILES = [
  ["0.5", "p50"],
  ["0.95", "p95"],
  ["0.99", "p99"],
  ["1", "max"],
] as const;

export function createMetrics(storage: LogStorage, service: LogService | undefined): Metrics {
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
  const quantiles = (name: string, help: string, scale: number, read: (s: StorageStats) => LatencySummary) =>
    new Gauge({
      name,
      help,
      labelNames: ["quantile"],
      registers: [registry],
      collect() {
        const summary = read(snapshot);
        for (const [label, key] of QUANTILES) this.labels(label).set(summary[key] * scale);
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
  gauge(
    "batchlog_consecutive_write_failures",
    "Failed batch writes since the last success",
    (s) => s.consecutiveFailures,
  );
  gauge("batchlog_wal_bytes", "Size of the SQLite -wal file in bytes", (s) => s.walBytes);
  gauge("batchlog_last_commit_timestamp_seconds", "Unix time of the last committed batch", (s) =>
    s.lastCommitAt === null ? null : s.lastCommitAt.getTime() / 1000,
  );
  new Gauge({
    name: "batchlog_health",
    help: "Storage health: 1 for the current status (ok, degraded, down), 0 for the others",
    labelNames: ["status"],
    registers: [registry],
    collect() {
      const { status } = storage.health();
      for (const s of ["ok", "degraded", "down"]) this.labels(s).set(s === status ? 1 : 0);
    },
  });
  counter("batchlog_entries_enqueued_total", "Entries accepted into the queue", (s) => s.entriesEnqueued);
  counter("batchlog_entries_stored_total", "Entries committed to the database", (s) => s.entriesStored);
  counter("batchlog_entries_failed_total", "Entries whose write failed", (s) => s.entriesFailed);
  counter("batchlog_batches_total", "Batches committed", (s) => s.batches);
  counter("batchlog_write_retries_total", "Batch writes retried after a transient failure", (s) => s.retries);
  new Counter({
    name: "batchlog_entries_rejected_total",
    help: "Entries refused by the storage, by reason (queue_full, closed, validation, timeout, unavailable)",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(snapshot.rejectedByReason)) this.labels(reason).inc(n);
    },
  });
  quantiles(
    "batchlog_commit_latency_recent_seconds",
    "Batch transaction time over the storage's recent window (quantile 1 = max since start)",
    1 / 1000,
    (s) => s.commitLatencyMs,
  );
  quantiles(
    "batchlog_enqueue_to_commit_recent_seconds",
    "Time from store() to commit over the storage's recent window (quantile 1 = max since start)",
    1 / 1000,
    (s) => s.enqueueToCommitMs,
  );
  quantiles(
    "batchlog_batch_size_recent",
    "Entries per batch over the storage's recent window (quantile 1 = max since start)",
    1,
    (s) => s.batchSize,
  );

  const ingestSeconds = new Histogram({
    name: "batchlog_ingest_to_commit_seconds",
    help: "Time from receiving an ingest request to the commit of its entries",
    labelNames: ["route"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const ingestEntries = new Counter({
    name: "batchlog_ingest_entries_total",
    help: "Entries received per ingest route and response status",
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
      if (status < 300) ingestSeconds.labels(route).observe(seconds);
      ingestEntries.labels(route, String(status)).inc(entries);
    },
    observeResponse(route, method, status) {
      responses.labels(route, method, String(status)).inc();
    },
    close() {},
  };
}
