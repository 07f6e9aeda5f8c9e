import type { Logger } from "pino";
import { threadEntry } from "../threads/spawn-thread.js";
import { ThreadClient } from "../threads/thread-client.js";
import { DriverThreadError } from "../threads/thread-protocol.js";

export interface CheckpointerInit {
  path: string;
  /** The writer's connection pragmas: a checkpoint fsyncs as `synchronous` says. */
  pragmas: string[];
}

/** What `PRAGMA wal_checkpoint(PASSIVE)` answered. */
export interface CheckpointResult {
  /** Another checkpoint (the writer's own) held the lock: nothing was done. */
  busy: boolean;
  walPages: number;
  checkpointedPages: number;
}

/** While checkpoints fail: the pause between attempts (each may start a new thread). */
const FAILING_INTERVAL_MS = 5000;

export interface CheckpointerOptions {
  /** The least time between the starts of two checkpoints while they succeed. */
  minIntervalMs: number;
  logger?: Logger | undefined;
  /**
   * The least time between the starts of two attempts while checkpoints fail. For tests and
   * tuning only: the storage keeps the default. @default 5000
   */
  failingIntervalMs?: number | undefined;
}

/**
 * Checkpoints a local WAL from a thread of its own, after commits.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past
 * `wal_autocheckpoint` pages: the writer stops writing while it fsyncs the WAL, copies the pages
 * into the database file and fsyncs that. Measured on the raw driver (1000-row transactions,
 * synchronous=NORMAL), that is a fifth of the writer's time. A PASSIVE checkpoint on another
 * connection copies the same pages while the writer goes on appending to the WAL; the writer's
 * own checkpoint then finds little left to copy, and it stays the bound on the WAL's size (a
 * WAL restarts only after a checkpoint that copied everything, which a concurrent one rarely
 * does while writes go on).
 *
 * At most one checkpoint runs at a time, at most one per `minIntervalMs`, and none without a
 * commit since the last: an idle store costs nothing. A failed checkpoint is logged once per
 * failing spell and tried again after a commit at most every 5 s (a thread that died is started
 * anew by the next attempt); the writer's own checkpoint still runs meanwhile.
 */
export class BackgroundCheckpointer {
  readonly #thread: ThreadClient;
  readonly #minIntervalMs: number;
  readonly #failingIntervalMs: number;
  readonly #logger: Logger | undefined;
  #running: Promise<void> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #lastStartedAt = Number.NEGATIVE_INFINITY;
  #commitSinceStart = false;
  #failing = false;
  #closed = false;
  #completed = 0;
  #failed = 0;

  constructor(init: CheckpointerInit, options: CheckpointerOptions) {
    this.#minIntervalMs = options.minIntervalMs;
    this.#failingIntervalMs = options.failingIntervalMs ?? FAILING_INTERVAL_MS;
    this.#logger = options.logger;
    // Started with the first commit: a store that is only read never pays for the thread.
    this.#thread = ThreadClient.lazy({
      entry: threadEntry(import.meta.url, "./checkpointer-worker"),
      workerData: init,
      // It holds nothing but a connection and a prepared statement.
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 1 },
      toError: (info) => new DriverThreadError(info),
    });
  }

  /** Checkpoints that ran (busy ones, which found the writer's own running, excluded) and that failed. */
  get counts(): { completed: number; failed: number } {
    return { completed: this.#completed, failed: this.#failed };
  }

  /** A transaction was committed: its pages are in the WAL. */
  noteCommit(): void {
    if (this.#closed) return;
    this.#commitSinceStart = true;
    this.#schedule();
  }

  /** Waits for the running checkpoint and ends the thread: the writer's final checkpoint needs the lock. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.#thread.close({ op: "close" });
  }

  #schedule(): void {
    if (this.#running !== null || this.#timer !== undefined || !this.#commitSinceStart) return;
    const interval = this.#failing ? this.#failingIntervalMs : this.#minIntervalMs;
    const wait = this.#lastStartedAt + interval - performance.now();
    if (wait <= 0) {
      this.#start();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.#start();
    }, wait);
    this.#timer.unref();
  }

  #start(): void {
    this.#commitSinceStart = false;
    this.#lastStartedAt = performance.now();
    this.#running = this.#thread
      .request({ op: "checkpoint" })
      .then(
        (value) => {
          if (!(value as CheckpointResult).busy) this.#completed++;
          if (this.#failing) this.#logger?.info({}, "background WAL checkpoint works again");
          this.#failing = false;
        },
        (error: unknown) => {
          this.#failed++;
          if (!this.#failing) {
            this.#logger?.warn(
              { err: error },
              "background WAL checkpoint failed: the writer checkpoints at walAutocheckpoint pages meanwhile",
            );
          }
          this.#failing = true;
        },
      )
      .finally(() => {
        this.#running = null;
        if (!this.#closed) this.#schedule();
      });
  }
}
