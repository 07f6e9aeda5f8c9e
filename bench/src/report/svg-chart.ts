/** Hand-written SVG charts (no browser, no dependency): line charts with log axes, grouped bars. */

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#65a30d", "#db2777"];
const FONT = 'font-family="system-ui, sans-serif"';

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: Point[];
  dashed?: boolean;
  /** Palette slot; series sharing one (p50 and p99 of the same setting) share a colour. */
  colorIndex?: number;
}

export interface Marker {
  x: number;
  /** With y: a ringed dot; without: a vertical line across the plot. */
  y?: number;
  label: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  markers?: Marker[];
  xLog?: boolean;
  yLog?: boolean;
  yFormat?: (y: number) => string;
  width?: number;
  height?: number;
}

function escapeXml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function round(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

interface Scale {
  map(v: number): number;
  ticks: number[];
}

function scale(min: number, max: number, from: number, to: number, log: boolean): Scale {
  if (log) {
    const lo = Math.floor(Math.log10(Math.max(min, 1e-9)));
    const hi = Math.ceil(Math.log10(Math.max(max, min * 10, 1e-9)));
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
    return {
      map: (v) => from + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo || 1)) * (to - from),
      ticks,
    };
  }
  const span = max - min || 1;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 6) ?? step * 10;
  const lo = Math.floor(min / nice) * nice;
  const hi = Math.ceil(max / nice) * nice;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + nice / 2; t += nice) ticks.push(t);
  return { map: (v) => from + ((v - lo) / (hi - lo || 1)) * (to - from), ticks };
}

export function defaultFormat(v: number): string {
  if (Math.abs(v) >= 1e6) return `${round(v / 1e6)}M`;
  if (Math.abs(v) >= 1e3) return `${round(v / 1e3)}k`;
  if (Math.abs(v) < 1 && v !== 0) return v.toPrecision(1);
  return round(v);
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600" ${FONT}>${escapeXml(title)}</text>`,
    ...body,
    "</svg>\n",
  ].join("\n");
}

export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 440;
  const fmt = options.yFormat ?? defaultFormat;
  const plot = { left: 70, right: width - 190, top: 40, bottom: height - 50 };
  const points = options.series.flatMap((s) => s.points);
  const xs = points.map((p) => p.x).concat((options.markers ?? []).map((m) => m.x));
  const ys = points.map((p) => p.y);
  const x = scale(Math.min(...xs), Math.max(...xs), plot.left, plot.right, options.xLog ?? false);
  const y = scale(
    options.yLog ? Math.min(...ys) : Math.min(0, ...ys),
    Math.max(...ys),
    plot.bottom,
    plot.top,
    options.yLog ?? false,
  );
  const body: string[] = [];
  for (const t of y.ticks) {
    const py = round(y.map(t));
    body.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${py}" y2="${py}" stroke="#e5e7eb"/>`);
    body.push(
      `<text x="${plot.left - 6}" y="${py}" dy="4" text-anchor="end" font-size="11" ${FONT}>${escapeXml(fmt(t))}</text>`,
    );
  }
  for (const t of x.ticks) {
    const px = round(x.map(t));
    body.push(`<line x1="${px}" x2="${px}" y1="${plot.top}" y2="${plot.bottom}" stroke="#f3f4f6"/>`);
    body.push(
      `<text x="${px}" y="${plot.bottom + 16}" text-anchor="middle" font-size="11" ${FONT}>${escapeXml(defaultFormat(t))}</text>`,
    );
  }
  body.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#9ca3af"/>`,
  );
  body.push(
    `<text x="${(plot.left + plot.right) / 2}" y="${height - 12}" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(options.xLabel)}</text>`,
  );
  body.push(
    `<text transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(options.yLabel)}</text>`,
  );
  for (const marker of options.markers ?? []) {
    const px = round(x.map(marker.x));
    if (marker.y === undefined) {
      body.push(
        `<line x1="${px}" x2="${px}" y1="${plot.top}" y2="${plot.bottom}" stroke="#111827" stroke-dasharray="2 3"/>`,
      );
      body.push(
        `<text x="${px}" y="${plot.top + 14}" dx="-4" text-anchor="end" font-size="11" ${FONT}>${escapeXml(marker.label)}</text>`,
      );
    } else {
      const py = round(y.map(marker.y));
      body.push(`<circle cx="${px}" cy="${py}" r="7" fill="none" stroke="#111827" stroke-width="2"/>`);
      body.push(
        `<text x="${px}" y="${py}" dx="10" dy="-8" font-size="11" ${FONT}>${escapeXml(marker.label)}</text>`,
      );
    }
  }
  options.series.forEach((s, i) => {
    const color = PALETTE[(s.colorIndex ?? i) % PALETTE.length]!;
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    const d = sorted
      .map((p, j) => `${j === 0 ? "M" : "L"}${round(x.map(p.x))} ${round(y.map(p.y))}`)
      .join(" ");
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : "";
    body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    for (const p of sorted)
      body.push(`<circle cx="${round(x.map(p.x))}" cy="${round(y.map(p.y))}" r="3" fill="${color}"/>`);
    const ly = plot.top + 8 + i * 18;
    body.push(
      `<line x1="${plot.right + 12}" x2="${plot.right + 34}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    body.push(
      `<text x="${plot.right + 40}" y="${ly}" dy="4" font-size="11" ${FONT}>${escapeXml(s.name)}</text>`,
    );
  });
  return frame(width, height, options.title, body);
}

export interface BarGroup {
  label: string;
  /** One value per bar name, in the order of `bars`. */
  values: number[];
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  bars: string[];
  groups: BarGroup[];
  yLog?: boolean;
  /** Horizontal reference lines (targets). */
  lines?: { y: number; label: string }[];
  yFormat?: (y: number) => string;
  width?: number;
  height?: number;
}

export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 860;
  const height = options.height ?? 440;
  const fmt = options.yFormat ?? defaultFormat;
  const plot = { left: 70, right: width - 170, top: 40, bottom: height - 70 };
  const values = options.groups.flatMap((g) => g.values).concat((options.lines ?? []).map((l) => l.y));
  const positive = values.filter((v) => v > 0);
  const y = scale(
    options.yLog ? Math.min(...positive) : 0,
    Math.max(...values),
    plot.bottom,
    plot.top,
    options.yLog ?? false,
  );
  const body: string[] = [];
  for (const t of y.ticks) {
    const py = round(y.map(t));
    body.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${py}" y2="${py}" stroke="#e5e7eb"/>`);
    body.push(
      `<text x="${plot.left - 6}" y="${py}" dy="4" text-anchor="end" font-size="11" ${FONT}>${escapeXml(fmt(t))}</text>`,
    );
  }
  body.push(
    `<text transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(options.yLabel)}</text>`,
  );
  const groupWidth = (plot.right - plot.left) / options.groups.length;
  const barWidth = (groupWidth * 0.8) / options.bars.length;
  options.groups.forEach((group, gi) => {
    const gx = plot.left + gi * groupWidth + groupWidth * 0.1;
    group.values.forEach((v, bi) => {
      const top = y.map(Math.max(v, options.yLog ? y.ticks[0]! : 0));
      body.push(
        `<rect x="${round(gx + bi * barWidth)}" y="${round(top)}" width="${round(barWidth - 1)}" height="${round(plot.bottom - top)}" fill="${PALETTE[bi % PALETTE.length]}"><title>${escapeXml(`${group.label} ${options.bars[bi]}: ${fmt(v)}`)}</title></rect>`,
      );
    });
    body.push(
      `<text x="${round(gx + groupWidth * 0.4)}" y="${plot.bottom + 16}" text-anchor="middle" font-size="11" ${FONT}>${escapeXml(group.label)}</text>`,
    );
  });
  for (const line of options.lines ?? []) {
    const py = round(y.map(line.y));
    body.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${py}" y2="${py}" stroke="#111827" stroke-dasharray="4 3"/>`,
    );
    body.push(
      `<text x="${plot.right - 4}" y="${py}" dy="-4" text-anchor="end" font-size="11" ${FONT}>${escapeXml(line.label)}</text>`,
    );
  }
  body.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#9ca3af"/>`,
  );
  options.bars.forEach((name, i) => {
    const ly = plot.top + 8 + i * 18;
    body.push(
      `<rect x="${plot.right + 12}" y="${ly - 6}" width="14" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`,
    );
    body.push(
      `<text x="${plot.right + 32}" y="${ly}" dy="4" font-size="11" ${FONT}>${escapeXml(name)}</text>`,
    );
  });
  return frame(width, height, options.title, body);
}
