// Hands out turns one per event-loop iteration. Ingest requests take a turn before their
// CPU-heavy part (parse, validate, enqueue), so that between two of them the loop goes back to
// polling sockets: a /healthz or a search that arrives during a burst waits for at most one
// ingest's work instead of for every request that arrived with it.
export class FairTurns {
  readonly #waiting: (() => void)[] = [];
  #scheduled = false;

  /** Resolves on a later event-loop iteration than any previously granted turn. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#schedule();
    });
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#waiting.shift()?.();
      this.#schedule();
    });
  }
}
