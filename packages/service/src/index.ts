/**
 * @module @batchlog/service
 * The log service on top of any `LogStorage` (batched or direct): validation, protocol adapters
 * (native JSON/NDJSON, Loki push, OTLP/HTTP logs), search parsing, live tail, volume stats and
 * retention. HTTP-free: bodies come in as Buffers, errors go out with their HTTP status.
 *
 * @example
 * const storage = await openLogStorage({ url: "file:./data/batchlog.db" });
 * const service = createLogService({ storage, maxBodyBytes: parseByteSize("10mb"), logger });
 * const result = await service.ingestNative(body, req.headers["content-type"]);
 * // 201 { ids } when result.errors is empty; 400 { ids, errors } otherwise (good items are stored)
 */

/** `parseContextQuery(id, params, now)`: the URL form of `storage.context()` (before, after, a search's filters). */
export { parseContextQuery } from "./context-params.js";
/**
 * `decodeBody(body, { contentEncoding?, maxBytes }): Promise<Buffer>` undoes gzip / x-gzip /
 * deflate / br / snappy (raw block) / identity. `maxBytes` bounds the DECOMPRESSED size and
 * inflation stops there → PayloadTooLargeError (413); corrupt data → BadRequestError (400);
 * an unknown coding → UnsupportedMediaTypeError (415).
 */
export { type DecodeBodyOptions, decodeBody } from "./decode-body.js";
export type { DeleteResult } from "./delete-matching.js";
/**
 * `parseDuration("7d" | "12h" | "15m" | "30s" | "500ms" | "1h30m")` → milliseconds;
 * `parseByteSize("10mb" | "512kb" | "2048")` → bytes. Both throw a RangeError naming the input.
 */
export { parseByteSize, parseDuration } from "./duration.js";
/**
 * Errors with `statusCode` and a stable `code`, whose messages are safe to send to clients:
 * BadRequestError (400, `param` names the culprit), NotFoundError (404), PayloadTooLargeError
 * (413, `limitBytes` or `limitEntries`), UnsupportedMediaTypeError (415); HttpError is their base.
 */
export {
  BadRequestError,
  HttpError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from "./errors.js";
/** A search's matches as pages for a download (`LogService.exportEntries`): 10,000 by default, 1,000,000 at most. */
export {
  DEFAULT_EXPORT_LIMIT,
  type ExportPages,
  type ExportReadTimer,
  MAX_EXPORT_LIMIT,
} from "./export-pages.js";
/** Field suggestions (`LogService.fields`): the keys of a search's newest matches and their common values. */
export {
  DEFAULT_FIELD_SAMPLE,
  type FieldSummaries,
  type FieldSummary,
  type FieldValueCount,
} from "./field-summary.js";
/** The rule search and tail apply to `q` (punctuated bare words become phrases), for direct `storage.search({ text })` callers. */
export { FtsQueryError, normalizeFtsQuery } from "./fts-query.js";
/**
 * `toHttpError(error)` → `{ statusCode, code, message, retryAfterSeconds? }` for anything the
 * service throws: HttpError as is, ValidationError 400, QueueFullError 429, StorageUnavailable /
 * StorageClosed / WriteTimeout 503, anything else 500 "internal error".
 */
export { type HttpErrorResponse, toHttpError } from "./http-status.js";
/** `parseLabelSet('{a="b", c="d"}')` → `{ a: "b", c: "d" }`: Prometheus label sets as Loki's protobuf push carries them. */
export { parseLabelSet } from "./label-set.js";
/** What `subscribe` returns and accepts (see LogService.subscribe). */
export type { SubscribeOptions, TailSubscription } from "./live-tail.js";
/**
 * `createLogService({ storage, maxBodyBytes? = 10 MiB, limits?, logger?, now? })` → `LogService`:
 * - `ingestNative(body, contentType, { wait? })`: JSON object, JSON array or NDJSON, validated per
 *   item with zod (SPEC §1) → `IngestResult`. Good items are stored even when others fail. If
 *   nothing was stored and an item failed for a storage reason, that storage error is thrown
 *   (QueueFullError → 429, StorageUnavailable/Closed/WriteTimeout → 503: see `toHttpError`); in a
 *   mix, storage failures are listed in `errors` with `retryable: true` (and `retryAfterMs` when
 *   the queue was full). More valid entries than the queue capacity → PayloadTooLargeError.
 *   `wait: false` resolves once enqueued (ids null); later failures are logged and counted.
 * - `ingestLoki(body, { contentType, contentEncoding }, { wait? })`: Loki push, JSON or
 *   snappy-compressed protobuf (no Content-Encoding needed) → `IngestResult`.
 * - `ingestOtlp(body, { contentType, contentEncoding }, { wait? })`: OTLP/HTTP logs, JSON or
 *   protobuf → `OtlpResult` with `partialSuccess` and the request `encoding` (answer with
 *   `encodeOtlpResponse(result.partialSuccess, result.encoding)`).
 * - `parseSearchQuery(params)`, `search(params)`, `recent(params)` (limit 1–1000, default 100),
 *   `volume(params)` (`from`, `to`, `bucket`, search filters): a bad parameter is a
 *   BadRequestError whose `param` names it.
 * - `subscribe(filter, onEntries, { maxBuffered? = 1000 })`: live tail after each commit; each
 *   subscriber is bounded (drop-oldest, `dropped()`) and can `pause()`/`resume()` for backpressure.
 * - `startRetention({ maxAgeMs?, maxAgeByLevel?, maxEntries?, maxBytes?, intervalMs, initialDelayMs? = 1000 })`
 *   → `{ stop(), runNow() }`: `storage.cleanup` on a timer, runs never overlap; while it runs,
 *   ingest refuses entries already older than their level's age.
 * - `stats()`: counters for metrics; `close()`: stops retention, ends tails, awaits wait=false writes.
 */
export {
  type AdapterRequest,
  createLogService,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_RECENT_LIMIT,
  type IngestOptions,
  type LogService,
  type LogServiceOptions,
  type LogServiceStats,
  type OtlpPartialSuccess,
  type OtlpResult,
  type RecentResult,
} from "./log-service.js";
/** Size limits of one entry (`limits` option), 64 KiB message and 64 KiB serialized fields by default. */
export { DEFAULT_ENTRY_LIMITS, type EntryLimits } from "./native-entry.js";
/**
 * `encodeOtlpResponse(partialSuccess, "json" | "protobuf")` → `{ body, contentType }` for the 200
 * answer; `encodeOtlpFailure({ statusCode, message, reason }, encoding)` for a 4xx/5xx one (a
 * google.rpc.Status), in `otlpErrorEncoding(contentType)`.
 */
export { encodeOtlpFailure, encodeOtlpResponse, otlpErrorEncoding } from "./otlp-response.js";
/** `startRetention` options and handle. */
export type { RetentionHandle, RetentionOptions } from "./retention.js";
/** `parseSearchQuery(params, now?)` without a service, and the largest `limit` (1000). */
export { MAX_LIMIT, parseSearchQuery } from "./search-params.js";
/** The logger methods the service calls (`debug`/`info`/`warn`/`error(obj, msg)`): pino fits. */
export type { ServiceLogger } from "./service-logger.js";
/** `severityToLevel(severityNumber, severityText)`: the OTLP mapping of SPEC §3. */
export { severityToLevel } from "./severity.js";
/** `IngestResult = { ids: (number|null)[]; errors: IngestError[]; accepted: number; retryAfterMs? }`. */
export type { IngestError, IngestResult } from "./store-entries.js";
/** The entries of an ingest request the storage refused whole (429, 503), from the error thrown. */
export { entriesRefusedBy } from "./store-entries.js";
/** Live-tail filters (a SearchQuery subset) and the predicate they compile to. */
export { compileTailFilter, type TailFilter } from "./tail-filter.js";
/** `volume()` result: buckets with counts per level, totals; and the automatic bucket width. */
export { autoBucketMs, type VolumeBucket, type VolumeStats } from "./volume.js";
