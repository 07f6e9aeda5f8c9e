import type { MachineInfo } from "./machine.js";
import type { SuiteRecord } from "./results.js";

function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return "";
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: string | number | undefined) => String(v ?? "").replaceAll("|", "\\|");
  return [
    `| ${columns.join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r[c])).join(" | ")} |`),
  ].join("\n");
}

/** The summary the README links to: machine, every suite's table, targets met or missed. */
export function renderMarkdown(options: {
  machine: MachineInfo;
  mode: "quick" | "full";
  startedAt: string;
  durationMs: number;
  suites: SuiteRecord[];
  loadAverageAtEnd: number[];
}): string {
  const { machine, suites } = options;
  const lines: string[] = [];
  lines.push(`# batchlog benchmark results (${options.mode} run)`);
  lines.push("");
  lines.push(
    `Run ${options.startedAt} in ${(options.durationMs / 1000).toFixed(0)} s on ${machine.cpuModel}, ` +
      `${machine.cores} cores, ${machine.ramGiB} GiB RAM, Node ${machine.node} (${machine.platform}), ` +
      `commit \`${machine.gitCommit?.slice(0, 10) ?? "unknown"}\`${machine.gitDirty ? " + uncommitted changes" : ""}.`,
  );
  lines.push("");
  lines.push(
    `> The machine is shared (load average ${machine.loadAverageAtStart.join(" / ")} at start, ` +
      `${options.loadAverageAtEnd.join(" / ")} at the end): absolute figures are noisy. ` +
      "Compare ratios measured within this one run; `±` is the relative standard deviation over the repeated runs, `n` the number of runs or samples.",
  );
  lines.push("");
  lines.push(
    "Two producer shapes appear throughout. **N producers × 1 entry**: each producer awaits one `store()` before the next (closed loop), so at most N entries exist at once and throughput is latency-bound (N ÷ commit round trip). **N producers × 100-entry bursts**: each awaits all ids of a 100-entry `storeMany()` (like an HTTP request of 100 entries) before the next, which fills 1000-row batches. Every entries/s figure counts ids that resolved, i.e. entries committed.",
  );
  lines.push("");
  const targets = suites.flatMap((s) => s.targets.map((t) => ({ suite: s.name, ...t })));
  if (targets.length > 0) {
    lines.push("## Targets");
    lines.push("");
    lines.push(
      table(
        targets.map((t) => ({
          suite: t.suite,
          target: t.name,
          wanted: t.target,
          measured: t.actual,
          "": t.met ? "met" : "**missed**",
        })),
      ),
    );
    lines.push("");
  }
  for (const suite of suites) {
    lines.push(`## ${suite.title}`);
    lines.push("");
    if (suite.status !== "ok") {
      lines.push(`**${suite.status}**: ${suite.reason ?? ""}`);
      lines.push("");
      continue;
    }
    lines.push(table(suite.table));
    lines.push("");
    for (const extra of suite.extraTables) lines.push(`${extra.caption}:`, "", table(extra.rows), "");
    for (const chart of suite.charts) lines.push(`![${chart.title}](${chart.file})`, "");
    for (const note of suite.notes) lines.push(`- ${note}`);
    if (suite.notes.length > 0) lines.push("");
  }
  return lines.join("\n");
}
