/**
 * @module @batchlog/service
 * The log service on top of any `LogStorage`: validation, protocol adapters (native JSON/NDJSON,
 * Loki push, OTLP/HTTP logs), search parsing, live tail, volume stats and retention.
 *
 * @example
 * const storage = await openLogStorage({ url: "file:./data/batchlog.db" });
 * const service = createLogService({ storage, maxBodyBytes: parseByteSize("10mb"), logger });
 * const result = await service.ingestNative(body, req.headers["content-type"]);
 * // 201 { ids } when result.errors is empty; 400 { ids, errors } otherwise (good items are stored)
 */

/**
 * `decodeBody(body, { contentEncoding?, maxBytes })`: undoes gzip / x-gzip / deflate / br / snappy
 * (raw block) / identity; `maxBytes` bounds the DECOMPRESSED size (inflation stops there) →
 * PayloadTooLargeError; corrupt data → BadRequestError; unknown coding → UnsupportedMediaTypeError.
 */
export { type DecodeBodyOptions, decodeBody } from "./decode-body.js";
/** `parseDuration("7d" | "12h" | "15m" | "30s" | "500ms" | "1h30m")` → ms; `parseByteSize("10mb")` → bytes. */
export { parseByteSize, parseDuration } from "./duration.js";
/** HTTP errors, each with `statusCode` and `code`: 400, 413, 415. */
export { BadRequestError, HttpError, PayloadTooLargeError, UnsupportedMediaTypeError } from "./errors.js";
/** `toHttpError(error)` → `{ statusCode, code, message, retryAfterSeconds? }` for any thrown error. */
export { type HttpErrorResponse, toHttpError } from "./http-status.js";
export { parseLabelSet } from "./label-set.js";
/** Live tail. */
export type { SubscribeOptions, TailSubscription } from "./live-tail.js";
/**
 * `createLogService({ storage, maxBodyBytes?, limits?, logger?, now? })` → `LogService`:
 * - `ingestNative(body, contentType, { wait? })`: JSON object, JSON array or NDJSON, zod-validated
 *   per item (SPEC §1). Partial success: good items are stored, bad ones listed in `errors`. If
 *   nothing was stored and any item failed for a storage reason, that storage error is thrown
 *   (QueueFullError → 429, StorageUnavailableError/StorageClosedError/WriteTimeoutError → 503;
 *   see `toHttpError`). In a mix, storage failures are in `errors` with `retryable: true` and
 *   `retryAfterMs` is set if the queue was full.
 * - `ingestLoki(body, { contentType, contentEncoding })`: Loki push, JSON or snappy protobuf.
 * - `ingestOtlp(body, { contentType, contentEncoding })`: OTLP/HTTP logs, JSON or protobuf; the
 *   result carries `partialSuccess` and the request `encoding` (answer with `encodeOtlpResponse`).
 * - `parseSearchQuery(params)`, `search(params)`, `recent(params)`, `volume(params)`: reads from URL
 *   parameters; a bad parameter is a BadRequestError whose `param` names it.
 * - `subscribe(filter, onEntries, { maxBuffered })`: live tail after each commit, bounded per
 *   subscriber (drop-oldest, `dropped()`), with `pause()`/`resume()` for backpressure.
 * - `startRetention({ maxAgeMs?, maxEntries?, intervalMs, initialDelayMs? })` → `{ stop(), runNow() }`.
 * - `stats()`, `close()`.
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
/** Entry validation limits and the Prometheus label-set parser used by the Loki adapter. */
export { DEFAULT_ENTRY_LIMITS, type EntryLimits } from "./native-entry.js";
/** OTLP response body in the request's encoding. */
export { encodeOtlpResponse } from "./otlp-response.js";
/** Retention scheduler options and handle. */
export type { RetentionHandle, RetentionOptions } from "./retention.js";
/** Search parameter parsing, usable without a service (e.g. to validate a tail route's filters). */
export { MAX_LIMIT, parseSearchQuery } from "./search-params.js";
export type { ServiceLogger } from "./service-logger.js";
/** OTLP severity mapping (SPEC §3). */
export { severityToLevel } from "./severity.js";
/** Result of an ingestion: `ids` per item (null when refused), `errors` per refused item, `accepted`. */
export type { IngestError, IngestResult } from "./store-entries.js";
export { compileTailFilter, type TailFilter } from "./tail-filter.js";
/** Volume histogram: counts per time bucket per level, and totals. */
export { autoBucketMs, type VolumeBucket, type VolumeStats } from "./volume.js";
