// Repeated failures are logged once, then at most once per interval with how many were left out:
// a database that is down refuses every request, and a warning per request (hundreds a second
// under load, each with its stack) would bury everything else in the operator's logs.

export interface Occurrence {
  /** Occurrences of the same key not logged since the previous logged one. */
  suppressed: number;
}

export class LogThrottle {
  readonly #last = new Map<string, { at: number; suppressed: number }>();
  constructor(readonly intervalMs = 10_000) {}

  /** The occurrence to log, or undefined when one of the same key was logged within the interval. */
  take(key: string, now: number = performance.now()): Occurrence | undefined {
    const last = this.#last.get(key);
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.suppressed++;
      return undefined;
    }
    this.#last.set(key, { at: now, suppressed: 0 });
    return { suppressed: last?.suppressed ?? 0 };
  }
}
