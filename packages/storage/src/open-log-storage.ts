import { existsSync, renameSync } from "node:fs";
import { BatchedLogStorage } from "./batched-log-storage.js";
import { toDriverErrorInfo } from "./classify-error.js";
import { type BatchConfig, type BatchConfigInput, isRemoteUrl, resolveBatchConfig } from "./config.js";
import { type OpenedDatabase, prepareDatabase } from "./database.js";
import { DirectLogStorage } from "./direct-log-storage.js";
import { DiskReserve } from "./disk-reserve.js";
import { ConfigError, StorageUnavailableError } from "./errors.js";
import { LogReader, type LogReads } from "./log-reader.js";
import { DeadlineReads } from "./reader/deadline-reads.js";
import { ProcessLogReader } from "./reader/process-log-reader.js";
import { continueIds, lastIdOf } from "./recovered-ids.js";
import { redactSecrets, redactUrl } from "./redact-url.js";
import { isSnapshotNotFound, openClientAwaitingSnapshot, snapshotNotFoundReason } from "./replica-open.js";
import type { LogStorage } from "./types.js";
import { BackgroundCheckpointer } from "./writers/background-checkpointer.js";
import type { BatchWriter } from "./writers/batch-writer.js";
import { ClientBatchWriter } from "./writers/client-batch-writer.js";
import { InProcessBatchWriter } from "./writers/in-process-batch-writer.js";
import { connectionPragmas } from "./writers/pragmas.js";
import { WorkerBatchWriter } from "./writers/worker-batch-writer.js";

/**
 * Reader processes per storage: two, so that one slow query (until queryTimeoutMs stops it)
 * leaves the other for every other read (measured in the README, "Query timeout").
 */
const READER_PROCESSES = 2;

/** The background checkpointer's pace under sustained writes (20–30 ms kept up with 1000-row batches, measured ad hoc). */
const CHECKPOINT_MIN_INTERVAL_MS = 25;

/**
 * Opens (creating if needed) the database at `config.url`, applies pending migrations and
 * returns the storage: `batched` (default) or the `direct` baseline.
 */
export async function openLogStorage(input: BatchConfigInput = {}): Promise<LogStorage> {
  const config = resolveBatchConfig(input);
  const opened = await openVerified(config);
  const local = opened.path !== null && config.syncUrl === undefined;
  const reader = createReader(config, opened, local);
  if (config.implementation === "direct") {
    const writer = new ClientBatchWriter(opened.client, { manageWal: local });
    return new DirectLogStorage({ config, opened, reader, writer });
  }
  let writer: BatchWriter;
  try {
    writer = await createWriter(config, opened, local);
  } catch (error) {
    await reader.close().catch(() => {});
    opened.client.close();
    throw new StorageUnavailableError(
      `cannot open the writer on ${describe(config)}: ${redactSecrets((error as Error).message, config.url, config.authToken)}`,
      {
        cause: error,
      },
    );
  }
  // The writer on a local file keeps the reserve (createWriter); this copy only observes it.
  const reserve =
    local && opened.path !== null && config.diskReserveBytes > 0
      ? new DiskReserve(opened.path, config.diskReserveBytes)
      : null;
  if (reserve !== null && !reserve.held) {
    config.logger?.warn(
      { file: reserve.path, bytes: reserve.bytes, freeBytes: reserve.freeBytes() },
      "disk reserve could not be created: a full disk would stop writes until space is freed",
    );
  }
  const checkpointer =
    writer instanceof WorkerBatchWriter && opened.path !== null && config.checkpointThread
      ? new BackgroundCheckpointer(
          { path: opened.path, pragmas: connectionPragmas(config) },
          { minIntervalMs: CHECKPOINT_MIN_INTERVAL_MS, logger: config.logger },
        )
      : null;
  return new BatchedLogStorage({ config, opened, reader, writer, reserve, checkpointer });
}

/** Nothing to open yet: a reader process starts with the first read. */
function createReader(config: BatchConfig, opened: OpenedDatabase, local: boolean): LogReads {
  if (!local || opened.path === null || !config.readerThread) {
    return new DeadlineReads(
      new LogReader(opened.db, () => config.fullText, config.skippedCountWindow),
      config.queryTimeoutMs,
    );
  }
  return new ProcessLogReader(
    {
      path: opened.path,
      pragmas: connectionPragmas(config),
      fullText: config.fullText,
      skippedCountWindow: config.skippedCountWindow,
    },
    { queryTimeoutMs: config.queryTimeoutMs, processes: READER_PROCESSES },
  );
}

async function createWriter(
  config: BatchConfig,
  opened: OpenedDatabase,
  local: boolean,
): Promise<BatchWriter> {
  if (!local || opened.path === null) {
    return new ClientBatchWriter(opened.client, {
      manageWal: false,
      replica: config.syncUrl !== undefined,
      tokenRetentionMs: 2 * config.writeTimeoutMs,
    });
  }
  const options = {
    path: opened.path,
    pragmas: connectionPragmas(config),
    reserveBytes: config.diskReserveBytes,
  };
  if (!config.writerThread) return new InProcessBatchWriter(options);
  // Room for a batch as large as the whole queue, a few times over (decoded and parsed only when
  // a bad row makes the writer go row by row; normally the batch stays bytes outside the heap).
  const heapLimitMb = Math.max(256, Math.ceil((4 * config.queueCapacityBytes) / 1024 / 1024));
  return await WorkerBatchWriter.start(options, { heapLimitMb });
}

/** Opens, checks and migrates; with `recover`, moves an unreadable file aside and starts afresh. */
async function openVerified(config: BatchConfig): Promise<OpenedDatabase> {
  let opened: OpenedDatabase | undefined;
  try {
    opened = await openClientAwaitingSnapshot(config);
    await checkIntegrity(opened);
    await prepareDatabase(opened, config);
    return opened;
  } catch (error) {
    opened?.client.close();
    if (error instanceof ConfigError) throw error; // the url names no file: not a database fault
    const path = opened?.path ?? (isRemoteUrl(config.url) ? null : undefined);
    const reason = isSnapshotNotFound(error)
      ? snapshotNotFoundReason(config.syncUrl)
      : redactSecrets(openFailureReason(error), config.url, config.authToken);
    if (config.recover && path && isDamagedFile(error)) {
      const lastId = lastIdOf(path);
      const aside = moveAside(path);
      config.logger?.error(
        { file: path, movedTo: aside, reason, ...(lastId !== undefined && { idsContinueAfter: lastId }) },
        "database unreadable: moved aside, starting a new one",
      );
      const fresh = await openClientAwaitingSnapshot(config);
      await prepareDatabase(fresh, config);
      if (lastId !== undefined) await continueIds(fresh, lastId);
      return fresh;
    }
    throw new StorageUnavailableError(`cannot open ${describe(config)}: ${reason}`, { cause: error });
  }
}

class QuickCheckError extends Error {}

async function checkIntegrity(opened: OpenedDatabase): Promise<void> {
  if (opened.path === null) return;
  const result = await opened.client.execute("PRAGMA quick_check");
  // One problem a row, or (the native driver) one row of lines under "*** in database main ***"
  const problems = result.rows
    .flatMap((r) => String(r[0]).split("\n"))
    .map((line) => line.trim())
    .filter((line) => line !== "" && line !== "ok" && !/^\*\*\* in database \w+ \*\*\*$/.test(line));
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).map((p) => (p.length > 120 ? `${p.slice(0, 120)}…` : p));
    throw new QuickCheckError(
      `quick_check found ${problems.length} problem${problems.length === 1 ? "" : "s"}: ${shown.join("; ")}${problems.length > 3 ? "; …" : ""}`,
    );
  }
}

/**
 * Whether `recover` may move the file aside: only when the file itself is damaged (not a
 * database, corrupt pages). A busy lock, a full disk or a lost server says nothing about the
 * file, and moving a healthy database aside would hide every entry it holds.
 */
export function isDamagedFile(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    if (e instanceof QuickCheckError) return true;
    const info = toDriverErrorInfo(e);
    const primary = info.rawCode === undefined ? undefined : info.rawCode & 0xff;
    if (primary === 11 || primary === 26 || /^SQLITE_(CORRUPT|NOTADB)/.test(info.code ?? "")) return true;
  }
  return false;
}

function moveAside(path: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const aside = `${path}.corrupt-${stamp}`;
  for (const suffix of ["", "-wal", "-shm"]) {
    if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
  return aside;
}

/** Drizzle wraps a failed migration as "Failed query: <sql>": the reason is its cause (e.g. ECONNREFUSED). */
function openFailureReason(error: unknown): string {
  const e = error as Error & { cause?: unknown };
  const cause = e.cause as (Error & { cause?: unknown }) | undefined;
  if (!/^Failed query/.test(e.message) || !(cause instanceof Error)) return e.message;
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : "";
  return `${cause.message}${inner}`.split("\nStack backtrace:")[0]!.trim();
}

function describe(config: BatchConfig): string {
  return redactUrl(config.url);
}
