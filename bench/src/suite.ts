import type { TempDatabases } from "./fixtures.js";
import type { Percentiles, Summary } from "./stats.js";

/** A throughput figure: entries/s over repeated timed runs. */
export interface RateFigure extends Summary {
  kind: "rate";
  unit: string;
}

/** A latency figure: percentiles over every sample. */
export interface LatencyFigure extends Percentiles {
  kind: "latency";
  unit: "ms";
  mean?: number;
  rmePercent?: number;
}

export interface ValueFigure {
  kind: "value";
  unit: string;
  value: number;
  n?: number;
  min?: number;
  max?: number;
}

export type Figure = RateFigure | LatencyFigure | ValueFigure;

export interface Target {
  name: string;
  target: string;
  actual: string;
  met: boolean;
  /** A missed gating target makes the run exit non-zero. */
  gate?: boolean;
}

export interface Chart {
  file: string;
  title: string;
  svg: string;
}

/** What a suite hands back; the runner adds name, timing and status. */
export interface SuiteOutput {
  figures: Record<string, Figure>;
  /** Rows for console.table and the markdown summary. */
  table: Record<string, string | number>[];
  /** Further tables with a caption (e.g. a tinybench latency table next to throughput). */
  extraTables?: { caption: string; rows: Record<string, string | number>[] }[];
  targets: Target[];
  notes: string[];
  charts?: Chart[];
  /** Raw data for the JSON (e.g. the sweep grid). */
  data?: unknown;
  skipped?: string;
}

/** Shared between suites of one run: later suites reuse what earlier ones measured. */
export interface RunState {
  /** Entries/s the batched store sustained with bursty producers and default config. */
  sustainableRate?: number;
  /** Entries/s of the raw driver with FTS on (the ceiling suite). */
  rawCeilingFtsOn?: number;
  /** Rows/s of raw drivers writing on every core at once, FTS on (the anatomy suite). */
  parallelWriteCapacityFtsOn?: number;
}

export interface SuiteContext {
  quick: boolean;
  temp: TempDatabases;
  state: RunState;
  /** One progress line on stderr. */
  progress(message: string): void;
}

export interface Suite {
  name: string;
  title: string;
  run(ctx: SuiteContext): Promise<SuiteOutput>;
}

export function emptyOutput(): SuiteOutput {
  return { figures: {}, table: [], targets: [], notes: [] };
}
