import {
  type EntryContext,
  type LogEntry,
  type LogLevel,
  type LogStorage,
  type SearchPage,
  type SearchQuery,
  ValidationError,
} from "@batchlog/storage";
import { parseContextQuery } from "./context-params.js";
import { decodeBody } from "./decode-body.js";
import { type DeleteResult, deleteMatching } from "./delete-matching.js";
import { BadRequestError, NotFoundError } from "./errors.js";
import { EXPANSION_FACTOR, ExpansionBudget } from "./expansion-budget.js";
import { type ExportPages, type ExportReadTimer, exportPages } from "./export-pages.js";
import { type FieldSummaries, summarizeFields } from "./field-summary.js";
import { LiveTail, type SubscribeOptions, type TailSubscription } from "./live-tail.js";
import { lokiRawItems } from "./loki-push.js";
import { parseNativeBody } from "./native-body.js";
import { createEntryValidator, DEFAULT_ENTRY_LIMITS, type EntryLimits } from "./native-entry.js";
import { otlpEncoding, otlpRawItems } from "./otlp-logs.js";
import {
  type RetentionHandle,
  type RetentionOptions,
  type RetentionRun,
  startRetention,
} from "./retention.js";
import { parseLimit, parseSearchQuery } from "./search-params.js";
import { type ServiceLogger, silentLogger } from "./service-logger.js";
import {
  type Candidate,
  enqueueCandidates,
  type IngestResult,
  lateFailureLogger,
  storeCandidates,
} from "./store-entries.js";
import type { TailFilter } from "./tail-filter.js";
import { ageLimitsOf, refuseOutsideWindow, smallestAgeLimits, TOO_NEW, TOO_OLD } from "./timestamp-window.js";
import { validateItems } from "./validate-items.js";
import { computeVolume, type VolumeStats } from "./volume.js";

export interface LogServiceOptions {
  storage: LogStorage;
  /** Largest request body once decompressed. @default 10485760 (10 MiB) */
  maxBodyBytes?: number;
  /** Limits of one entry. @default 64 KiB message, 64 KiB fields */
  limits?: Partial<EntryLimits>;
  /** pino (or compatible) logger for late failures, retention runs and tail errors. @default silent */
  logger?: ServiceLogger;
  /** Clock for relative times and default timestamps (tests). @default Date.now */
  now?: () => number;
  /**
   * Entries stamped more than this ahead of `now` are item errors (`BATCHLOG_TOO_NEW`).
   * @default undefined: taken as sent
   */
  maxFutureMs?: number;
}

export interface IngestOptions {
  /**
   * `true` (default): resolve once every stored entry has committed, with its id. `false`: resolve
   * once the entries are enqueued (ids null); a later failure is logged and counted in
   * `stats().lateFailures`, never dropped silently.
   */
  wait?: boolean;
}

export interface AdapterRequest {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
}

/** OTLP partial success as the OTLP spec defines it: `{}` when every record was accepted. */
export interface OtlpPartialSuccess {
  rejectedLogRecords?: number | string;
  errorMessage?: string;
}

export interface OtlpResult extends IngestResult {
  partialSuccess: OtlpPartialSuccess;
  /** The request's encoding: send the response (see `encodeOtlpResponse`) in the same one. */
  encoding: "json" | "protobuf";
}

export interface RecentResult {
  entries: LogEntry[];
}

export interface LogServiceStats {
  /** Items stored (or enqueued with wait=false) since start. */
  accepted: number;
  /** Items refused: invalid, or failed in storage. */
  rejected: number;
  /** Of those, items refused as invalid (the service's checks or the storage's). */
  invalid: number;
  /** Of those, items refused as older than a running age retention's limit (not counted as invalid). */
  tooOld: number;
  /** Of those, items refused as stamped more than `maxFutureMs` ahead (not counted as invalid). */
  tooNew: number;
  /** wait=false items that failed after the response. */
  lateFailures: number;
  /** wait=false items not yet settled. */
  inFlight: number;
  tailSubscribers: number;
  /** Entries dropped for slow tail subscribers. */
  tailDropped: number;
  /** Retention runs finished, by outcome (the rows they delete: the storage's `stats().entriesDeleted`). */
  retentionRuns: number;
  retentionFailures: number;
  /** When the last successful retention run ended, epoch ms (null before the first). */
  retentionLastSuccessAt: number | null;
}

export interface LogService {
  /**
   * Native ingestion: a JSON object, a JSON array, or NDJSON (one entry per line), each item
   * validated on its own. Throws BadRequestError/UnsupportedMediaTypeError/PayloadTooLargeError
   * for the whole body, or the storage error when nothing could be stored for a storage reason.
   */
  ingestNative(body: Buffer, contentType: string | undefined, options?: IngestOptions): Promise<IngestResult>;
  /** Loki push (`/loki/api/v1/push`): JSON, or snappy protobuf; `contentEncoding` is undone first. */
  ingestLoki(body: Buffer, request: AdapterRequest, options?: IngestOptions): Promise<IngestResult>;
  /** OTLP/HTTP logs (`/v1/logs`): JSON or protobuf ExportLogsServiceRequest. */
  ingestOtlp(body: Buffer, request: AdapterRequest, options?: IngestOptions): Promise<OtlpResult>;
  /** URL parameters → SearchQuery (q, level, minLevel, source, from, to, field.KEY, limit, cursor). */
  parseSearchQuery(params: URLSearchParams): SearchQuery;
  /** One page of a search, newest first; `nextCursor` when more may follow. */
  search(params: URLSearchParams): Promise<SearchPage>;
  /**
   * The entries just older (`before`) and newer (`after`) than entry `id`, 10 each by default,
   * filtered like a search; NotFoundError when no entry has that id.
   */
  context(id: string, params: URLSearchParams): Promise<EntryContext>;
  /**
   * A search's matches for a download, newest first: `limit` entries in all (1–1,000,000, default
   * 10,000), read a page at a time as `pages` is consumed. Parameter errors and a query the storage
   * refuses throw here, before the first entry.
   */
  exportEntries(params: URLSearchParams, eachRead?: ExportReadTimer): Promise<ExportPages>;
  /**
   * Deletes every entry a search with these filters finds among those committed when it starts
   * (entries arriving meanwhile stay); at least one filter or bound is required. See deleteMatching.
   */
  deleteEntries(params: URLSearchParams): Promise<DeleteResult>;
  /** The `fields` keys of a search's newest matches (`sample`, default 1000) and their most frequent values. */
  fields(params: URLSearchParams): Promise<FieldSummaries>;
  /** The newest entries: `limit` 1–1000, default 100. */
  recent(params: URLSearchParams): Promise<RecentResult>;
  /** Counts per time bucket per level between `from` and `to` (`bucket`, search filters). */
  volume(params: URLSearchParams): Promise<VolumeStats>;
  /** Live tail: `onEntries` gets the matching entries of each commit; bounded per subscriber. */
  subscribe(
    filter: TailFilter,
    onEntries: (entries: LogEntry[]) => void,
    options?: SubscribeOptions,
  ): TailSubscription;
  /** Periodic `storage.cleanup`; stopped by the handle or by `close()`. */
  startRetention(options: RetentionOptions): RetentionHandle;
  stats(): LogServiceStats;
  /** Stops retention timers, ends tail subscriptions, waits for wait=false items to settle. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_RECENT_LIMIT = 100;

/** Creates the log service on top of any LogStorage (batched or direct). */
export function createLogService({
  storage,
  maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
  limits,
  logger = silentLogger,
  now = Date.now,
  maxFutureMs,
}: LogServiceOptions): LogService {
  if (maxFutureMs !== undefined && !(Number.isSafeInteger(maxFutureMs) && maxFutureMs > 0)) {
    throw new RangeError(`Expected \`maxFutureMs\` to be an integer >= 1, got \`${maxFutureMs}\``);
  }
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new RangeError(`Expected \`maxBodyBytes\` to be an integer >= 1, got \`${maxBodyBytes}\``);
  }
  const entryLimits = { ...DEFAULT_ENTRY_LIMITS, ...limits };
  for (const [name, value] of Object.entries(entryLimits)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Expected \`limits.${name}\` to be an integer >= 1, got \`${value}\``);
    }
  }
  const validator = createEntryValidator(entryLimits);
  const tail = new LiveTail(storage, logger);
  const retentions = new Set<RetentionHandle>();
  // Each running retention's age limit per level: older entries are refused at ingest.
  const ageLimits = new Map<RetentionHandle, Partial<Record<LogLevel, number>>>();
  const pending = new Set<Promise<unknown>>();
  const counters = { accepted: 0, rejected: 0, invalid: 0, tooOld: 0, tooNew: 0, lateFailures: 0 };
  const retention = {
    retentionRuns: 0,
    retentionFailures: 0,
    retentionLastSuccessAt: null as number | null,
  };
  const onRetentionRun = (run: RetentionRun) => {
    retention.retentionRuns++;
    if (run.ok) retention.retentionLastSuccessAt = run.at;
    else retention.retentionFailures++;
  };
  // A configuration constant of the storage (Infinity for the direct one).
  const queueCapacity = capacityOf(storage);

  const logLateFailure = lateFailureLogger(logger);
  const tracker = {
    onLateFailure(error: unknown, count: number) {
      counters.lateFailures += count;
      counters.rejected += count;
      logLateFailure(error, count);
    },
    track(settled: Promise<unknown>) {
      pending.add(settled);
      void settled.finally(() => pending.delete(settled));
    },
  };

  // Not async: a suspended frame would keep the candidates (parsed entries) alive until the commit.
  function ingest(candidates: Candidate[], options: IngestOptions | undefined): Promise<IngestResult> {
    if (ageLimits.size > 0 || maxFutureMs !== undefined) {
      refuseOutsideWindow(
        candidates,
        { maxAgeMs: smallestAgeLimits(ageLimits.values()), maxFutureMs },
        now(),
      );
    }
    const submitted =
      options?.wait === false
        ? enqueueCandidates(storage, candidates, tracker, queueCapacity)
        : storeCandidates(storage, candidates, queueCapacity);
    return countOutcome(submitted, candidates.length);
  }

  async function countOutcome(submitted: Promise<IngestResult>, items: number): Promise<IngestResult> {
    try {
      const result = await submitted;
      counters.accepted += result.accepted;
      counters.rejected += result.errors.length;
      for (const e of result.errors) {
        if (e.code === "BATCHLOG_VALIDATION") counters.invalid++;
        else if (e.code === TOO_OLD) counters.tooOld++;
        else if (e.code === TOO_NEW) counters.tooNew++;
      }
      return result;
    } catch (error) {
      counters.rejected += items;
      throw error;
    }
  }

  const decode = (body: Buffer, contentEncoding: string | undefined) =>
    decodeBody(body, { contentEncoding, maxBytes: maxBodyBytes });

  return {
    async ingestNative(body, contentType, options) {
      const items = parseNativeBody(await decode(body, undefined), contentType);
      return ingest(await validateItems(validator, items), options);
    },

    async ingestLoki(body, request, options) {
      const decoded = await decode(body, request.contentEncoding);
      const items = await lokiRawItems(decoded, request.contentType, maxBodyBytes);
      return ingest(await validateItems(validator, items), options);
    },

    async ingestOtlp(body, request, options) {
      const decoded = await decode(body, request.contentEncoding);
      const encoding = otlpEncoding(request.contentType, decoded);
      const items = otlpRawItems(
        decoded,
        encoding,
        request.contentType,
        now(),
        new ExpansionBudget(EXPANSION_FACTOR * maxBodyBytes),
      );
      const result = await ingest(await validateItems(validator, items), options);
      return { ...result, partialSuccess: partialSuccessOf(result), encoding };
    },

    parseSearchQuery: (params) => parseSearchQuery(params, now()),

    async search(params) {
      const query = parseSearchQuery(params, now());
      return storage.search(query).catch(rethrowAsBadRequest);
    },

    async context(id, params) {
      const query = parseContextQuery(id, params, now());
      const context = await storage.context(query).catch(rethrowAsBadRequest);
      if (context === null) {
        throw new NotFoundError(`no entry with id ${query.id} (never stored, or deleted by retention)`);
      }
      return context;
    },

    exportEntries: (params, eachRead) =>
      exportPages(storage, params, now(), eachRead).catch(rethrowAsBadRequest),

    async deleteEntries(params) {
      const result = await deleteMatching(storage, params, now()).catch(rethrowAsBadRequest);
      // an audit line: what was erased, and by which filters (never a token given in the URL)
      const filters = new URLSearchParams(params);
      filters.delete("token");
      logger.info(
        { deleted: result.deleted, filters: filters.toString(), lastId: result.lastId },
        "entries deleted by request",
      );
      return result;
    },

    fields: (params) => summarizeFields(storage, params, now()).catch(rethrowAsBadRequest),

    async recent(params) {
      const limit = parseLimit(params, DEFAULT_RECENT_LIMIT);
      return { entries: await storage.getRecent(limit).catch(rethrowAsBadRequest) };
    },

    volume: (params) => computeVolume(storage, params, now()).catch(rethrowAsBadRequest),

    subscribe: (filter, onEntries, options) => tail.subscribe(filter, onEntries, options),

    startRetention(options) {
      const handle = startRetention(storage, logger, options, now, onRetentionRun);
      retentions.add(handle);
      const limits = ageLimitsOf(options);
      if (Object.keys(limits).length > 0) ageLimits.set(handle, limits);
      return {
        runNow: handle.runNow,
        stop: () => {
          retentions.delete(handle);
          ageLimits.delete(handle);
          return handle.stop();
        },
      };
    },

    stats: () => ({
      ...counters,
      ...retention,
      inFlight: pending.size,
      tailSubscribers: tail.size,
      tailDropped: tail.dropped,
    }),

    async close() {
      await Promise.all([...retentions].map((r) => r.stop()));
      retentions.clear();
      ageLimits.clear();
      tail.close();
      await Promise.allSettled([...pending]);
    },
  };
}

const MAX_ERROR_MESSAGE = 1024;

function capacityOf(storage: LogStorage): number {
  try {
    return storage.stats().queueCapacity;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function partialSuccessOf(result: IngestResult): OtlpPartialSuccess {
  if (result.errors.length === 0) return {};
  const detail = result.errors
    .slice(0, 5)
    .map((e) => `record ${e.index}: ${e.error}`)
    .join("; ");
  const more = result.errors.length > 5 ? `; and ${result.errors.length - 5} more` : "";
  return {
    rejectedLogRecords: result.errors.length,
    errorMessage: `${result.errors.length} log record(s) rejected: ${detail}${more}`.slice(
      0,
      MAX_ERROR_MESSAGE,
    ),
  };
}

/** Query parameter names for the storage's ValidationError fields. */
const PARAM_OF_FIELD: Readonly<Record<string, string>> = {
  text: "q",
  notText: "q",
  levels: "level",
  sources: "source",
  bucketMs: "bucket",
};

function rethrowAsBadRequest(error: unknown): never {
  if (error instanceof ValidationError) {
    const param = PARAM_OF_FIELD[error.field] ?? error.field;
    const reason = error.message.startsWith(`${error.field}: `)
      ? error.message.slice(error.field.length + 2)
      : error.message;
    throw new BadRequestError(`${param}: ${reason}`, { param, cause: error });
  }
  throw error;
}
