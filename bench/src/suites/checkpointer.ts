import { type LogStorage, openLogStorage } from "@batchlog/storage";
import { EntryPool } from "../fixtures.js";
import { formatRate, formatSummary } from "../stats.js";
import { emptyOutput, type Suite } from "../suite.js";
import { interleaveStores, rateFigure, ratioFigure } from "../timed-runs.js";

/** What the storage did before the checkpointer thread: SQLite's automatic checkpoint in the writer's commit. */
const WRITER_ONLY = { checkpointThread: false, walAutocheckpoint: 1000 } as const;

/**
 * Suite 8: the design choice behind "Checkpoints off the writer" (README), measured on the
 * storage itself: defaults (checkpointer thread, walAutocheckpoint 3000) against the writer
 * checkpointing alone inside its commits (the previous defaults), same entries, runs alternating.
 */
export const checkpointer: Suite = {
  name: "checkpointer",
  title: "Checkpointer thread: batched store() with and without it",
  async run(ctx) {
    const out = emptyOutput();
    const durationMs = ctx.quick ? 300 : 2500;
    const producers = ctx.quick ? 4 : 16;
    const repeats = 3;
    for (const synchronous of ["full", "normal"] as const)
      for (const fullText of [true, false]) {
        const fts = fullText ? "on" : "off";
        ctx.progress(`FTS ${fts}, synchronous=${synchronous}: ${producers} producers × 100-entry bursts`);
        const paths = {
          thread: ctx.temp.path(`ckpt-thread-${synchronous}-${fts}`),
          writer: ctx.temp.path(`ckpt-writer-${synchronous}-${fts}`),
        };
        const storages: Record<string, LogStorage> = {};
        try {
          storages.thread = await openLogStorage({ url: ctx.temp.url(paths.thread), synchronous, fullText });
          storages.writer = await openLogStorage({
            url: ctx.temp.url(paths.writer),
            synchronous,
            fullText,
            ...WRITER_ONLY,
          });
          const options = { pool: new EntryPool(), producers, burstSize: 100, durationMs };
          const rates = await interleaveStores(repeats, storages, options);
          const withThread = rateFigure(rates.thread!);
          const writerOnly = rateFigure(rates.writer!);
          const gain = ratioFigure(rates.thread!, rates.writer!, "%", 100);
          const key = `${synchronous}.fts-${fts}`;
          out.figures[`writerOnly.${key}`] = writerOnly;
          out.figures[`checkpointThread.${key}`] = withThread;
          out.figures[`ratio.${key}`] = gain;
          out.table.push({
            FTS: fts,
            synchronous,
            "writer checkpoints (before)": formatSummary(writerOnly, formatRate),
            "checkpointer thread (default)": formatSummary(withThread, formatRate),
            "default vs before (min–max)": `${gain.value.toFixed(0)}% (${gain.min!.toFixed(0)}–${gain.max!.toFixed(0)})`,
          });
        } finally {
          for (const storage of Object.values(storages)) await storage.close();
          for (const path of Object.values(paths)) ctx.temp.remove(path);
        }
      }
    out.notes.push(
      `${producers} closed-loop producers × 100-entry bursts; each cell: ${repeats} runs of ${durationMs} ms per contender, alternating, after a warm-up; % = mean of the per-pair ratios.`,
      "Writer checkpoints (before): `checkpointThread: false, walAutocheckpoint: 1000` — SQLite's automatic checkpoint runs inside the writer's COMMIT each time the WAL passes 1000 pages (fsync the WAL, copy, fsync the database file) while no batch is written. Default: a thread of its own runs a PASSIVE checkpoint after commits (at most one per 25 ms) while the writer goes on; the writer's own checkpoint at 3000 pages then finds little left to copy and restarts the WAL.",
    );
    return out;
  },
};
