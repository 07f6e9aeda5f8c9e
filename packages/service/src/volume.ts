import { LOG_LEVELS, type LogLevel, type LogStorage } from "@batchlog/storage";
import { parseDuration } from "./duration.js";
import { BadRequestError } from "./errors.js";
import { parseSearchQuery, single } from "./search-params.js";

/** One time bucket of the volume histogram: [start, start + bucketMs). */
export interface VolumeBucket {
  start: Date;
  counts: Record<LogLevel, number>;
  total: number;
}

/** Entry counts per time bucket per level, for the UI's stacked histogram. */
export interface VolumeStats {
  from: Date;
  to: Date;
  bucketMs: number;
  /** Every bucket from the one holding `from` to the one holding `to`, empty ones included. */
  buckets: VolumeBucket[];
  totals: Record<LogLevel, number>;
  total: number;
}

/** Bucket widths the automatic choice picks from. */
const NICE_BUCKETS_MS = [
  "1s",
  "5s",
  "10s",
  "15s",
  "30s",
  "1m",
  "2m",
  "5m",
  "10m",
  "15m",
  "30m",
  "1h",
  "2h",
  "3h",
  "6h",
  "12h",
  "1d",
  "2d",
  "7d",
  "30d",
].map(parseDuration);

export const TARGET_BUCKETS = 60;
export const MAX_BUCKETS = 2000;
const DEFAULT_SPAN_MS = 3_600_000;

/** The smallest nice bucket width giving at most ~60 buckets over `spanMs`. */
export function autoBucketMs(spanMs: number): number {
  const wanted = spanMs / TARGET_BUCKETS;
  return NICE_BUCKETS_MS.find((b) => b >= wanted) ?? Math.ceil(wanted / 86_400_000) * 86_400_000;
}

/**
 * Volume histogram from URL parameters: `from` (default 1h before `to`), `to` (default now),
 * `bucket` (a duration such as `1m`, `5m`, `1h`; chosen for ~60 buckets when absent), and the
 * search filters (`q`, `level`, `minLevel`, `source`, `field.KEY`). Buckets are aligned to
 * multiples of the bucket width since the epoch, so the first and last may be partly outside
 * [from, to); only entries inside [from, to) are counted. An empty range (from == to) has no
 * buckets.
 */
export async function computeVolume(
  storage: LogStorage,
  params: URLSearchParams,
  now: number = Date.now(),
): Promise<VolumeStats> {
  const {
    limit: _limit,
    cursor: _cursor,
    from: fromParam,
    to: toParam,
    ...filters
  } = parseSearchQuery(params, now);
  const to = toParam ?? new Date(now);
  const from = fromParam ?? new Date(to.getTime() - DEFAULT_SPAN_MS);
  const span = to.getTime() - from.getTime();
  // As for a search: from == to is an empty range (nothing counted), from after to a mistake.
  if (span < 0) throw new BadRequestError("from: must not be after to", { param: "from" });
  const bucketParam = single(params, "bucket");
  let bucketMs: number;
  if (bucketParam === undefined || bucketParam.trim() === "") bucketMs = autoBucketMs(span);
  else {
    try {
      bucketMs = parseDuration(bucketParam);
    } catch (error) {
      throw new BadRequestError(`bucket: ${(error as Error).message}`, { param: "bucket" });
    }
  }
  if (span === 0) return { from, to, bucketMs, buckets: [], totals: zeroCounts(), total: 0 };
  const first = Math.floor(from.getTime() / bucketMs) * bucketMs;
  const count = Math.floor((to.getTime() - 1 - first) / bucketMs) + 1;
  if (count > MAX_BUCKETS) {
    throw new BadRequestError(`bucket: ${bucketParam} gives ${count} buckets; at most ${MAX_BUCKETS}`, {
      param: "bucket",
    });
  }
  const rows = await storage.countByBucket({ ...filters, from, to, bucketMs });
  const buckets: VolumeBucket[] = Array.from({ length: count }, (_, i) => ({
    start: new Date(first + i * bucketMs),
    counts: zeroCounts(),
    total: 0,
  }));
  const totals = zeroCounts();
  let total = 0;
  for (const row of rows) {
    const bucket = buckets[Math.floor((row.bucketStart - first) / bucketMs)];
    if (bucket === undefined) continue;
    bucket.counts[row.level] += row.count;
    bucket.total += row.count;
    totals[row.level] += row.count;
    total += row.count;
  }
  return { from, to, bucketMs, buckets, totals, total };
}

function zeroCounts(): Record<LogLevel, number> {
  return Object.fromEntries(LOG_LEVELS.map((l) => [l, 0])) as Record<LogLevel, number>;
}
