import type { BatchConfig } from "./config.js";

/**
 * The wait before retry number `attempt` (1-based): exponential from `initialDelayMs`, capped at
 * `maxDelayMs`, with "equal jitter": at least half the ceiling, so retries never hammer, spread
 * over the rest.
 */
export function backoffDelayMs(retry: BatchConfig["retry"], attempt: number): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
