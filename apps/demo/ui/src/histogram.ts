// Volume histogram stacked by level (uPlot bars); drag across it to zoom the time range.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { LEVELS, type Level, type Stats } from "./api";
import { isUtc } from "./format";

export interface HistogramData {
  /** bucket start times, ms */
  starts: number[];
  bucketMs: number;
  counts: Record<Level, number[]>;
}

export function toHistogramData(stats: Stats): HistogramData {
  const starts: number[] = [];
  const counts = Object.fromEntries(LEVELS.map((l) => [l, [] as number[]])) as Record<Level, number[]>;
  for (const b of stats.buckets ?? []) {
    const start = typeof b.start === "number" ? b.start : Date.parse(b.start);
    starts.push(start);
    for (const l of LEVELS) counts[l].push(Number(b.counts?.[l] ?? 0));
  }
  return { starts, bucketMs: Number(stats.bucketMs) || 60_000, counts };
}

const cssVar = (el: Element, name: string) => getComputedStyle(el).getPropertyValue(name).trim();

const fmtCount = (n: number) =>
  n >= 1e6
    ? `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`
    : n >= 1e3
      ? `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`
      : `${n}`;

export class Histogram {
  private plot: uPlot | null = null;
  private data: HistogramData | null = null;
  private readonly tip: HTMLDivElement;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly host: HTMLElement,
    private readonly onZoom: (from: number, to: number) => void,
  ) {
    this.tip = document.createElement("div");
    this.tip.className = "hist-tip";
    this.tip.hidden = true;
    host.append(this.tip);
    this.resizeObserver = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize(this.size());
    });
    this.resizeObserver.observe(host);
    host.addEventListener("mouseleave", () => {
      this.tip.hidden = true;
    });
  }

  private size() {
    return { width: Math.max(200, this.host.clientWidth), height: this.host.clientWidth < 600 ? 110 : 140 };
  }

  /** Removes the chart, leaving a short note in its place. */
  clear(note: string): void {
    this.plot?.destroy();
    this.plot = null;
    this.data = null;
    this.tip.hidden = true;
    this.host.dataset.total = "0";
    this.host.dataset.buckets = "0";
    this.host.dataset.note = note;
  }

  /** Rebuild with current theme colours (call after a theme change). */
  restyle(): void {
    if (this.data) this.render(this.data);
  }

  render(data: HistogramData): void {
    this.data = data;
    delete this.host.dataset.note;
    this.plot?.destroy();
    this.plot = null;
    const xs = data.starts.map((t) => (t + data.bucketMs / 2) / 1000);
    // cumulative stacks: series i = sum of levels 0..i, drawn top-down so each band shows its level's colour
    const order = [...LEVELS].reverse(); // fatal (full stack height) is drawn first
    const stacks = order.map((level) => {
      const upto = LEVELS.slice(0, LEVELS.indexOf(level) + 1);
      return xs.map((_, i) => upto.reduce((s, l) => s + (data.counts[l][i] ?? 0), 0));
    });
    const host = this.host;
    const axis = cssVar(host, "--muted") || "#888";
    const grid = cssVar(host, "--grid") || "rgba(128,128,128,.15)";
    const font = `11px ${cssVar(document.body, "--font-ui") || "system-ui, sans-serif"}`;
    const bars = uPlot.paths.bars!({ size: [0.86, 64], align: 0, gap: 0 });
    const total = xs.reduce((s, _, i) => s + (stacks[0]![i] ?? 0), 0);
    host.dataset.total = String(total);
    host.dataset.buckets = String(xs.length);

    const opts: uPlot.Options = {
      ...this.size(),
      ...(isUtc() && { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC") }),
      legend: { show: false },
      padding: [8, 18, 0, 0],
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { show: false },
        y: false,
      },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: {
          time: true,
          range: () => {
            const last = data.starts.length ? data.starts[data.starts.length - 1]! : Date.now();
            const first = data.starts.length ? data.starts[0]! : last - 3_600_000;
            return [first / 1000, (last + data.bucketMs) / 1000];
          },
        },
        y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.08] },
      },
      axes: [
        { stroke: axis, grid: { show: false }, ticks: { stroke: grid, size: 4 }, font, space: 70 },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          font,
          size: 44,
          space: 28,
          values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? fmtCount(v) : "")),
        },
      ],
      series: [
        {},
        ...order.map((level) => {
          const colour = cssVar(host, `--lvl-${level}`) || "#888";
          return {
            label: level,
            fill: colour,
            stroke: colour,
            width: 0,
            paths: bars,
            points: { show: false },
          };
        }),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const from = Math.round(u.posToVal(u.select.left, "x") * 1000);
            const to = Math.round(u.posToVal(u.select.left + u.select.width, "x") * 1000);
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (to > from) this.onZoom(from, to);
          },
        ],
        setCursor: [(u) => this.showTip(u)],
      },
    };
    this.plot = new uPlot(opts, [xs, ...stacks] as uPlot.AlignedData, host);
    host.append(this.tip);
  }

  private showTip(u: uPlot): void {
    const i = u.cursor.idx;
    const data = this.data;
    if (i == null || !data || u.cursor.left == null || u.cursor.left < 0) {
      this.tip.hidden = true;
      return;
    }
    const start = data.starts[i]!;
    const rows = LEVELS.filter((l) => (data.counts[l][i] ?? 0) > 0)
      .reverse()
      .map(
        (l) =>
          `<div><i class="sw lvl-${l}"></i>${l}<b>${(data.counts[l][i] ?? 0).toLocaleString()}</b></div>`,
      )
      .join("");
    const when = new Date(start).toLocaleString(undefined, {
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      second: data.bucketMs < 60_000 ? "2-digit" : undefined,
      timeZone: isUtc() ? "UTC" : undefined,
    });
    this.tip.innerHTML = `<div class="tip-h">${when}</div>${rows || '<div class="muted">no entries</div>'}`;
    this.tip.hidden = false;
    const plotLeft = u.over.offsetLeft;
    const x = plotLeft + u.cursor.left;
    const w = this.tip.offsetWidth;
    const hostW = this.host.clientWidth;
    this.tip.style.left = `${Math.min(Math.max(0, x + 12 + w > hostW ? x - w - 12 : x + 12), hostW - w)}px`;
  }
}
