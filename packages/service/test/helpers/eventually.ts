import { vi } from "vitest";

/** Retries an assertion until it passes; generous, as the machine is shared and may be slow. */
export function eventually<T>(assertion: () => T | Promise<T>): Promise<T> {
  return vi.waitFor(assertion, { timeout: 15_000, interval: 10 });
}
