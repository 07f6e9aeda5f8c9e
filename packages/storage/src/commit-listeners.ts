import type { Logger } from "pino";
import { callListener } from "./call-listener.js";
import type { CommitListener, LogEntry } from "./types.js";

/**
 * Post-commit subscribers (live tail). A throwing listener, or an async one that rejects, is
 * logged, never breaks the writer.
 */
export class CommitListeners {
  readonly #listeners = new Set<CommitListener>();
  readonly #logger: Logger | undefined;

  constructor(logger?: Logger) {
    this.#logger = logger;
  }

  get active(): boolean {
    return this.#listeners.size > 0;
  }

  add(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(entries: readonly LogEntry[]): void {
    for (const listener of this.#listeners) {
      callListener(listener, entries, (error) =>
        this.#logger?.error({ err: error }, "commit listener threw"),
      );
    }
  }
}
