import { openLogStorage, QueueFullError } from "@batchlog/storage";
import Database from "libsql";
import { drive } from "../drive.js";
import { EntryPool } from "../fixtures.js";
import { formatRate } from "../stats.js";
import { emptyOutput, type Suite } from "../suite.js";

const QUEUE_CAPACITY = 100_000;
const RSS_TARGET_MB = 300;
const BURST = 100;
const MB = 1024 * 1024;

/** Every resolved id must be a row; rows nobody was told about are counted apart (late commits). */
function verify(
  path: string,
  resolved: number[],
  firstId: number,
): { rows: number; missing: number; unacknowledged: number } {
  const sorted = Float64Array.from(resolved).sort();
  const db = new Database(path, { readonly: true });
  try {
    let rows = 0;
    let missing = 0;
    let i = 0;
    for (const row of db
      .prepare("SELECT id FROM log_entries WHERE id >= ? ORDER BY id")
      .raw()
      .iterate(firstId)) {
      const id = Number((row as unknown[])[0]);
      rows++;
      while (i < sorted.length && sorted[i]! < id) {
        missing++;
        i++;
      }
      if (i < sorted.length && sorted[i] === id) i++;
    }
    missing += sorted.length - i;
    return { rows, missing, unacknowledged: rows - (resolved.length - missing) };
  } finally {
    db.close();
  }
}

/**
 * Suite 6: open-loop overload. 100-entry storeEach() calls (the HTTP path) arrive at twice the
 * rate the store sustains, for 60 s (10 s with --quick), queueCapacity 100k: the queue must
 * bound memory, shed the excess as QueueFullError, and keep every acknowledged entry.
 */
export const memory: Suite = {
  name: "memory",
  title: "Memory under 2× overload",
  async run(ctx) {
    const out = emptyOutput();
    const durationMs = ctx.quick ? 10_000 : 60_000;
    const path = ctx.temp.path("memory");
    const storage = await openLogStorage({ url: ctx.temp.url(path), queueCapacity: QUEUE_CAPACITY });
    const pool = new EntryPool();
    let sustainable = ctx.state.sustainableRate;
    if (sustainable === undefined) {
      ctx.progress("measuring the sustainable rate (64 producers × 100-entry bursts, 1.5 s)");
      sustainable = (await drive({ storage, pool, producers: 64, burstSize: BURST, durationMs: 1500 })).rate;
    }
    const offered = 2 * sustainable;
    // Rows written before the overload phase (the rate probe) are not part of the check.
    const firstId = (await storage.getRecent(1))[0]?.id ?? 0;
    const baselineRss = process.memoryUsage.rss();
    ctx.progress(
      `offering ${formatRate(offered)} (2 × ${formatRate(sustainable)}) for ${durationMs / 1000} s, queueCapacity ${QUEUE_CAPACITY}`,
    );

    const resolved: number[] = [];
    let rejectedFull = 0;
    let otherErrors = 0;
    let firstOther: string | undefined;
    let issued = 0;
    let peakRss = process.memoryUsage.rss();
    let peakHeap = 0;
    let peakDepth = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      peakDepth = Math.max(peakDepth, storage.stats().queueDepth);
    }, 100);
    const pending = new Set<Promise<void>>();
    let offeredWindowMs = durationMs;
    const started = performance.now();
    let lastReport = started;
    try {
      for (;;) {
        const now = performance.now();
        const elapsed = now - started;
        if (elapsed >= durationMs) break;
        // Open loop: send what the clock says is due, whatever happened to earlier calls.
        const due = Math.min(Math.floor((offered * elapsed) / 1000) - issued, 20 * BURST);
        for (let n = 0; n + BURST <= due; n += BURST) {
          issued += BURST;
          const call = storage.storeEach(pool.take(BURST)).then((results) => {
            for (const r of results) {
              if (r.status === "fulfilled") resolved.push(r.value);
              else if (r.reason instanceof QueueFullError) rejectedFull++;
              else {
                otherErrors++;
                firstOther ??= String(r.reason);
              }
            }
          });
          pending.add(call);
          void call.finally(() => pending.delete(call));
        }
        if (now - lastReport > 2000) {
          lastReport = now;
          ctx.progress(
            `  ${(elapsed / 1000).toFixed(0)} s: issued ${issued}, stored ${resolved.length}, rejected ${rejectedFull}, queue ${storage.stats().queueDepth}, rss ${(process.memoryUsage.rss() / MB).toFixed(0)} MB`,
          );
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      offeredWindowMs = performance.now() - started;
      await Promise.all(pending);
    } finally {
      clearInterval(sampler);
      await storage.close();
    }
    const elapsedMs = performance.now() - started;
    ctx.progress("verifying every resolved id is on disk");
    const check = verify(path, resolved, firstId + 1);
    ctx.temp.remove(path);

    const rssMb = peakRss / MB;
    out.figures.offeredRate = { kind: "value", unit: "entries/s", value: (issued / offeredWindowMs) * 1000 };
    out.figures.baselineRssMb = { kind: "value", unit: "MB", value: baselineRss / MB };
    out.figures.storedRate = {
      kind: "value",
      unit: "entries/s",
      value: (resolved.length / elapsedMs) * 1000,
    };
    out.figures.peakRssMb = { kind: "value", unit: "MB", value: rssMb };
    out.figures.peakHeapMb = { kind: "value", unit: "MB", value: peakHeap / MB };
    out.figures.peakQueueDepth = { kind: "value", unit: "entries", value: peakDepth };
    out.figures.rejectedQueueFull = { kind: "value", unit: "entries", value: rejectedFull };
    out.figures.otherErrors = { kind: "value", unit: "entries", value: otherErrors };
    out.figures.lostAcknowledged = { kind: "value", unit: "entries", value: check.missing };
    out.table.push({
      "offered entries/s": formatRate((issued / offeredWindowMs) * 1000),
      "stored entries/s": formatRate((resolved.length / elapsedMs) * 1000),
      issued,
      stored: resolved.length,
      "rejected (QueueFullError)": rejectedFull,
      "other errors": otherErrors,
      "peak queue": peakDepth,
      "RSS before MB": Math.round(baselineRss / MB),
      "peak RSS MB": Math.round(rssMb),
      "peak heap MB": Math.round(peakHeap / MB),
      "acknowledged but missing": check.missing,
      "rows on disk": check.rows,
    });
    out.targets.push(
      {
        name: "peak RSS under 2× overload",
        target: `< ${RSS_TARGET_MB} MB`,
        actual: `${rssMb.toFixed(0)} MB`,
        met: rssMb < RSS_TARGET_MB,
      },
      {
        name: "every resolved id is on disk after close()",
        target: "0 missing",
        actual: `${check.missing} missing of ${resolved.length}`,
        met: check.missing === 0,
        gate: true,
      },
    );
    out.notes.push(
      `Open loop: 100-entry storeEach() calls (what POST /api/logs does) issued on the clock at 2 × the burst throughput measured by the ceiling suite (FTS on), for ${durationMs / 1000} s; defaults otherwise (queueCapacity ${QUEUE_CAPACITY}, whenFull reject).`,
      `Stored entries/s counts until the queue drained (${((elapsedMs - offeredWindowMs) / 1000).toFixed(1)} s after the offered window closed).`,
      "RSS is the whole process (main thread, writer thread, SQLite page caches), sampled every 100 ms.",
      `Rows on disk that no caller saw acknowledged: ${check.unacknowledged}${otherErrors > 0 ? ` (first other error: ${firstOther})` : ""}.`,
    );
    return out;
  },
};
