import type { CursorPosition } from "../cursor.js";
import { QueryTimeoutError, StorageUnavailableError, ValidationError } from "../errors.js";
import type { LogReads } from "../log-reader.js";
import { DriverThreadError, type ThreadErrorInfo } from "../threads/thread-protocol.js";
import type {
  BucketCount,
  BucketQuery,
  CommittedAfter,
  CommittedAfterQuery,
  ContextQuery,
  EntryContext,
  Footprint,
  LogEntry,
  SearchPage,
  SearchQuery,
} from "../types.js";
import { closedError, ReaderProcess } from "./reader-process.js";
import type { ReaderInit, ReaderRequest } from "./reader-protocol.js";

export interface ProcessReaderOptions {
  /** Reads not answered by then reject with QueryTimeoutError; a running one's process is killed. */
  queryTimeoutMs: number;
  /** Processes that may read at once (each started only when the others are busy). */
  processes: number;
}

interface Read {
  request: ReaderRequest;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

interface Slot {
  process: Promise<ReaderProcess> | null;
  running: Read | null;
  starts: number;
}

/**
 * LogReader in reader processes (local files). The libsql driver runs a query synchronously on
 * the thread that calls it, so on the main thread a 50 ms search would hold every commit
 * acknowledgement and HTTP request for 50 ms; in a process of its own a query past
 * `queryTimeoutMs` can also be stopped: the process is killed and the next read starts a new one.
 * Reads wait in one queue here and each process runs one at a time, so a kill loses only the read
 * that timed out, and a read queued behind it runs on the new process. With two processes one
 * slow query leaves the other free for every other read. Results come back by structured clone
 * (Dates included); a ValidationError is rebuilt with its field.
 */
export class ProcessLogReader implements LogReads {
  readonly #init: ReaderInit;
  readonly #options: ProcessReaderOptions;
  readonly #slots: Slot[];
  readonly #queue: Read[] = [];
  #closed = false;
  /** Reads are settled: close() waits for this. */
  #idle: (() => void) | null = null;

  /** Processes start with the reads that need them: ingest-only servers never pay for one. */
  constructor(init: ReaderInit, options: ProcessReaderOptions) {
    this.#init = init;
    this.#options = options;
    this.#slots = Array.from({ length: options.processes }, () => ({
      process: null,
      running: null,
      starts: 0,
    }));
  }

  search(query: SearchQuery): Promise<SearchPage> {
    return this.#read({ op: "search", query }) as Promise<SearchPage>;
  }

  getRecent(limit: number): Promise<LogEntry[]> {
    return this.#read({ op: "getRecent", limit }) as Promise<LogEntry[]>;
  }

  countByBucket(query: BucketQuery): Promise<BucketCount[]> {
    return this.#read({ op: "countByBucket", query }) as Promise<BucketCount[]>;
  }

  committedAfter(query: CommittedAfterQuery): Promise<CommittedAfter> {
    return this.#read({ op: "committedAfter", query }) as Promise<CommittedAfter>;
  }

  context(query: ContextQuery): Promise<EntryContext | null> {
    return this.#read({ op: "context", query }) as Promise<EntryContext | null>;
  }

  /** Retention's read: not timed, or a large maxEntries might never be enforced. */
  cutoffToKeep(keep: number): Promise<CursorPosition | null> {
    return this.#read({ op: "cutoffToKeep", keep }, false) as Promise<CursorPosition | null>;
  }

  /** Retention's read too: not timed. */
  footprint(): Promise<Footprint> {
    return this.#read({ op: "footprint" }, false) as Promise<Footprint>;
  }

  /** After the reads already asked (each bounded by its timeout): closes every process. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#busy) await new Promise<void>((resolve) => (this.#idle = resolve));
    await Promise.all(this.#slots.map(async (slot) => (await slot.process?.catch(() => null))?.close()));
  }

  /** Processes started after the first one of their slot died or was killed. */
  get restarts(): number {
    return this.#slots.reduce((sum, slot) => sum + Math.max(0, slot.starts - 1), 0);
  }

  /** Kills every process, as a crash would (tests use it to prove the restart). */
  async kill(): Promise<void> {
    await Promise.all(
      this.#slots.map(async (slot) => {
        const process = await slot.process?.catch(() => null);
        process?.kill(closedError("reader process killed"));
        await process?.exited;
      }),
    );
  }

  get #busy(): boolean {
    return this.#queue.length > 0 || this.#slots.some((s) => s.running !== null);
  }

  #read(request: ReaderRequest, timed = true): Promise<unknown> {
    if (this.#closed) return Promise.reject(closedError("reader closed"));
    return new Promise((resolve, reject) => {
      const read: Read = { request, resolve, reject, timer: undefined, settled: false };
      if (timed) read.timer = setTimeout(() => this.#timeOut(read), this.#options.queryTimeoutMs);
      this.#queue.push(read);
      this.#dispatch();
    });
  }

  /** Queued: it never runs. Running: its process is killed (the only way to stop the query). */
  #timeOut(read: Read): void {
    const queued = this.#queue.indexOf(read);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.#settle(read, () => read.reject(new QueryTimeoutError(this.#options.queryTimeoutMs, true)));
      this.#checkIdle();
      return;
    }
    const slot = this.#slots.find((s) => s.running === read);
    if (slot === undefined) return;
    const error = new QueryTimeoutError(this.#options.queryTimeoutMs, true);
    const process = slot.process;
    // the slot is free at once, for a new process: nothing waits on the killed one
    slot.process = null;
    slot.running = null;
    void process?.then(
      (p) => p.kill(error),
      () => {},
    );
    this.#settle(read, () => read.reject(error));
    this.#dispatch();
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (!this.#busy) this.#idle?.();
  }

  /** Gives each free slot the oldest queued read, preferring slots whose process runs. */
  #dispatch(): void {
    while (this.#queue.length > 0) {
      const free = this.#slots.filter((s) => s.running === null);
      const slot = free.find((s) => s.process !== null) ?? free[0];
      if (slot === undefined) return;
      this.#run(slot, this.#queue.shift() as Read);
    }
  }

  #run(slot: Slot, read: Read): void {
    slot.running = read;
    if (slot.process === null) {
      slot.starts++;
      const starting = ReaderProcess.start(this.#init, rebuildError);
      slot.process = starting;
      // a failed start, or a process that died since, is replaced by the next read
      const forget = () => {
        if (slot.process === starting) slot.process = null;
      };
      starting.then((p) => p.exited.then(forget), forget);
    }
    const process = slot.process;
    process
      .then((p) => {
        if (read.settled) return undefined;
        if (!p.alive) {
          if (slot.process === process) slot.process = null;
          throw closedError("reader process exited");
        }
        return p.request(read.request);
      })
      .then(
        (value) => this.#settle(read, () => read.resolve(value)),
        (error: Error) => {
          // a process that died (not killed for a timeout: that slot was already emptied) is replaced
          const died = (error as { code?: string }).code === "CLIENT_CLOSED";
          if (died && slot.process === process) slot.process = null;
          // (a read killed for its timeout is settled already: this changes nothing for it)
          this.#settle(read, () => read.reject(died && !this.#closed ? readerDied(error) : error));
        },
      )
      .finally(() => {
        if (slot.running === read) slot.running = null;
        this.#dispatch();
        this.#checkIdle();
      });
  }

  #settle(read: Read, settle: () => void): void {
    if (read.settled) return;
    read.settled = true;
    clearTimeout(read.timer);
    settle();
  }
}

function rebuildError(info: ThreadErrorInfo): Error {
  if (info.name === "ValidationError" && info.field !== undefined) {
    const prefix = `${info.field}: `;
    const message = info.message.startsWith(prefix) ? info.message.slice(prefix.length) : info.message;
    return new ValidationError(info.field, message);
  }
  return new DriverThreadError(info);
}

/**
 * The process running this read died under it (the OOM killer, a crash): the database is fine and
 * the next read starts a new process, so the caller may retry (503), not a server bug (500).
 */
function readerDied(error: Error): StorageUnavailableError {
  return new StorageUnavailableError(`${error.message}; retry the read (a new reader process starts)`, {
    cause: error,
  });
}
