import { toHttpError } from "@batchlog/service";
import type { Metrics, QueryKind } from "../metrics.js";

/**
 * Times reads into batchlog_query_duration_seconds: around the read only (not serialization).
 * Failed reads too: a latency alert that left out the queries that timed out would miss the
 * slowest ones. A 400 is not a query.
 */
export function readTimer(metrics: Metrics | undefined) {
  return async <T>(kind: QueryKind, read: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await read();
      metrics?.observeQuery(kind, seconds(), "ok");
      return result;
    } catch (error) {
      const status = toHttpError(error).statusCode;
      if (status >= 500) metrics?.observeQuery(kind, seconds(), status === 504 ? "timeout" : "error");
      throw error;
    }
  };
}
