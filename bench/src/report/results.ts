import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Figure, SuiteOutput, Target } from "../suite.js";
import type { MachineInfo } from "./machine.js";

export interface SuiteRecord {
  name: string;
  title: string;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  durationMs: number;
  figures: Record<string, Figure>;
  table: Record<string, string | number>[];
  extraTables: { caption: string; rows: Record<string, string | number>[] }[];
  targets: Target[];
  notes: string[];
  charts: { file: string; title: string }[];
  data?: unknown;
}

export interface ResultsFile {
  schema: 1;
  mode: "quick" | "full";
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  noise: string;
  suites: SuiteRecord[];
}

export function toRecord(
  name: string,
  title: string,
  durationMs: number,
  output: SuiteOutput | { failed: string },
): SuiteRecord {
  if ("failed" in output) {
    return {
      name,
      title,
      status: "failed",
      reason: output.failed,
      durationMs,
      figures: {},
      table: [],
      extraTables: [],
      targets: [],
      notes: [],
      charts: [],
    };
  }
  const record: SuiteRecord = {
    name,
    title,
    status: output.skipped === undefined ? "ok" : "skipped",
    durationMs,
    figures: output.figures,
    table: output.table,
    extraTables: output.extraTables ?? [],
    targets: output.targets,
    notes: output.notes,
    charts: (output.charts ?? []).map(({ file, title }) => ({ file, title })),
  };
  if (output.skipped !== undefined) record.reason = output.skipped;
  if (output.data !== undefined) record.data = output.data;
  return record;
}

/** Writes `<base>.json`, `<base>.md` and every chart next to them. */
export function writeResults(
  dir: string,
  base: string,
  results: ResultsFile,
  markdown: string,
  charts: { file: string; svg: string }[],
): string[] {
  mkdirSync(dir, { recursive: true });
  const written = [join(dir, `${base}.json`), join(dir, `${base}.md`)];
  writeFileSync(written[0]!, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(written[1]!, markdown);
  for (const chart of charts) {
    const path = join(dir, chart.file);
    writeFileSync(path, chart.svg);
    written.push(path);
  }
  return written;
}
