// Inline SVG line charts for the HTML report (no external assets, every text escaped). Not part of
// the public surface.
import { fmt } from './format-number.js';

/** Escapes text for HTML and SVG content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** One line of a chart. */
export interface Series {
  readonly name: string;
  readonly values: readonly number[];
  readonly color: string;
  readonly width?: number;
}

/** A chart: x positions 0..n−1 labelled by `xLabels`, y on a log10 or linear scale. */
export interface ChartSpec {
  readonly title: string;
  readonly xLabels: readonly string[];
  readonly xTitle: string;
  readonly yTitle: string;
  readonly series: readonly Series[];
  readonly log: boolean;
  /** Fixed y range for linear charts (e.g. [0, 1] for fractions). */
  readonly yRange?: readonly [number, number];
  /** Rotate the x labels (long layer names). */
  readonly rotateLabels?: boolean;
}

const W = 560;

/** The colour of layer i of n, from input (blue) to output (red). */
export function depthColor(i: number, n: number): string {
  const t = n <= 1 ? 0 : i / (n - 1);
  return `hsl(${Math.round(230 - 230 * t)}, 70%, 45%)`;
}

const short = (s: string, max = 22) => (s.length <= max ? s : `…${s.slice(s.length - max + 1)}`);

/** Renders a chart as an inline `<svg>` element. Non-finite points are marked ✕ at the top, zeros ▾ at the bottom of log charts. */
export function lineChart(spec: ChartSpec): string {
  const n = spec.xLabels.length;
  const labelSpace = spec.rotateLabels ? Math.min(130, 14 + 6 * Math.max(0, ...spec.xLabels.map((l) => short(l).length))) : 34;
  const [left, right, top] = [64, 16, 30];
  const H = 230 + labelSpace;
  const bottom = labelSpace + 18;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const tf = (v: number) => (spec.log ? (v > 0 && Number.isFinite(v) ? Math.log10(v) : Number.NaN) : Number.isFinite(v) ? v : Number.NaN);
  const all = spec.series.flatMap((s) => s.values.map(tf)).filter((v) => Number.isFinite(v));
  let [lo, hi] = spec.yRange ? [spec.yRange[0], spec.yRange[1]] : all.length > 0 ? [Math.min(...all), Math.max(...all)] : [0, 1];
  if (spec.log) {
    lo = Math.floor(lo);
    hi = Math.ceil(hi);
  }
  if (hi - lo < 1e-12) {
    lo -= spec.log ? 1 : 0.5;
    hi += spec.log ? 1 : 0.5;
  }
  const x = (i: number) => left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}">`);
  parts.push(`<title>${esc(spec.title)}</title>`);
  parts.push(`<text x="${left}" y="18" class="ct">${esc(spec.title)}</text>`);
  // y grid and ticks
  const span = hi - lo;
  const step = spec.log ? Math.max(1, Math.ceil(span / 8)) : span / 4;
  for (let v = lo; v <= hi + 1e-9; v += step) {
    const yy = y(v).toFixed(1);
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${yy}" class="yt">${esc(spec.log ? `1e${v}` : fmt(Number(v.toPrecision(3))))}</text>`);
  }
  parts.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" class="at">${esc(spec.yTitle)}</text>`);
  // x ticks and labels
  const every = Math.max(1, Math.ceil(n / (spec.rotateLabels ? 40 : 12)));
  for (let i = 0; i < n; i++) {
    if (i % every !== 0 && i !== n - 1) continue;
    const xx = x(i).toFixed(1);
    const label = esc(short(spec.xLabels[i] ?? ''));
    if (spec.rotateLabels) parts.push(`<text transform="translate(${xx} ${top + plotH + 10}) rotate(-45)" class="xr">${label}</text>`);
    else parts.push(`<text x="${xx}" y="${top + plotH + 16}" class="xt">${label}</text>`);
  }
  parts.push(`<text x="${left + plotW / 2}" y="${H - 4}" class="at">${esc(spec.xTitle)}</text>`);
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  for (const s of spec.series) {
    const pts: string[] = [];
    const flush = () => {
      if (pts.length > 1) parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${esc(s.color)}" stroke-width="${s.width ?? 1.5}"/>`);
      pts.length = 0;
    };
    s.values.forEach((raw, i) => {
      const v = tf(raw);
      const label = `${s.name} · ${spec.xLabels[i] ?? i}: ${fmt(raw)}`;
      if (Number.isFinite(v)) {
        pts.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
        if (n <= 60) parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${esc(s.color)}"><title>${esc(label)}</title></circle>`);
        return;
      }
      flush();
      if (Number.isNaN(raw) || !Number.isFinite(raw))
        parts.push(`<text x="${x(i).toFixed(1)}" y="${top + 10}" class="bad"><title>${esc(label)}</title>✕</text>`);
      else if (spec.log && raw === 0) parts.push(`<text x="${x(i).toFixed(1)}" y="${top + plotH - 2}" class="zero"><title>${esc(label)}</title>▾</text>`);
    });
    flush();
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A heat map: one cell per (row, column), coloured by its value on a log10 or linear scale. */
export interface HeatMapSpec {
  readonly title: string;
  /** Labels of the rows, top to bottom (e.g. training steps). */
  readonly rowLabels: readonly string[];
  /** Labels of the columns, left to right (e.g. time steps t). */
  readonly colLabels: readonly string[];
  /** What a row and a column are, for the axes and each cell's tooltip (e.g. `step`, `t`). */
  readonly rowTitle: string;
  readonly colTitle: string;
  /** `values[row][col]`; a row may be shorter (missing cells are left blank). */
  readonly values: readonly (readonly number[])[];
  readonly log: boolean;
}

// Viridis (matplotlib's), from low to high: its lightness rises monotonically, so the order of the
// colours is the order of the values, in colour and in grey.
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The colour of a value at fraction `f` ∈ [0, 1] of the scale (viridis, linear between its stops). */
export function heatColor(f: number): string {
  const x = Math.min(1, Math.max(0, f)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const [a, b] = [VIRIDIS[i] as readonly number[], VIRIDIS[i + 1] as readonly number[]];
  const c = a.map((v, k) => Math.round(v + (x - i) * ((b[k] as number) - v)));
  return `rgb(${c.join(',')})`;
}

/**
 * Renders a heat map as an inline `<svg>`: a `<rect class="cell">` per value with its tooltip
 * (`<row title> <row> · <col title> <col>: <value>`), a colour bar with the scale's ends. Zeros on a
 * log scale take the lowest colour; NaN and ±Infinity are red and marked ✕.
 */
export function heatMap(spec: HeatMapSpec): string {
  const rows = spec.rowLabels.length;
  const cols = Math.max(1, spec.colLabels.length);
  const [left, right, top, bottom] = [64, 16, 30, 58];
  const plotW = W - left - right;
  const cellW = plotW / cols;
  const cellH = Math.max(2, Math.min(16, 240 / Math.max(1, rows)));
  const H = top + rows * cellH + bottom;
  const scale = (v: number) => (spec.log ? (v > 0 ? Math.log10(v) : Number.NEGATIVE_INFINITY) : v);
  const finite = spec.values.flatMap((r) => r.map(scale)).filter((v) => Number.isFinite(v));
  const lo = finite.length > 0 ? Math.min(...finite) : 0;
  const hi = finite.length > 0 ? Math.max(...finite) : 1;
  const frac = (v: number) => (hi - lo < 1e-12 ? 0.5 : (v - lo) / (hi - lo));
  const parts: string[] = [];
  parts.push(`<svg class="chart heat" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}">`);
  parts.push(`<title>${esc(spec.title)}</title>`);
  parts.push(`<text x="${left}" y="18" class="ct">${esc(spec.title)}</text>`);
  spec.values.forEach((row, r) => {
    const y = (top + r * cellH).toFixed(1);
    row.forEach((v, c) => {
      const label = `${spec.rowTitle} ${spec.rowLabels[r] ?? r} · ${spec.colTitle} ${spec.colLabels[c] ?? c}: ${fmt(v)}`;
      const s = scale(v);
      const bad = Number.isNaN(v) || !Number.isFinite(v);
      const fill = bad ? '#c62828' : heatColor(Number.isFinite(s) ? frac(s) : 0);
      parts.push(
        `<rect class="cell" x="${(left + c * cellW).toFixed(1)}" y="${y}" width="${cellW.toFixed(2)}" height="${cellH.toFixed(2)}" fill="${fill}"><title>${esc(label)}</title></rect>`,
      );
    });
  });
  // row labels (a dozen at most) and column labels
  const rowEvery = Math.max(1, Math.ceil(rows / 12));
  for (let r = 0; r < rows; r += rowEvery)
    parts.push(`<text x="${left - 6}" y="${(top + (r + 0.5) * cellH).toFixed(1)}" class="yt">${esc(spec.rowLabels[r])}</text>`);
  const colEvery = Math.max(1, Math.ceil(cols / 12));
  const plotBottom = top + rows * cellH;
  for (let c = 0; c < spec.colLabels.length; c++) {
    if (c % colEvery !== 0 && c !== spec.colLabels.length - 1) continue;
    parts.push(`<text x="${(left + (c + 0.5) * cellW).toFixed(1)}" y="${plotBottom + 14}" class="xt">${esc(spec.colLabels[c])}</text>`);
  }
  parts.push(`<text x="${left + plotW / 2}" y="${plotBottom + 28}" class="at">${esc(spec.colTitle)}</text>`);
  parts.push(`<text transform="translate(14 ${top + (rows * cellH) / 2}) rotate(-90)" class="at">${esc(spec.rowTitle)}</text>`);
  // colour bar: 20 swatches from the lowest value to the highest
  const barY = plotBottom + 36;
  const barW = 160;
  for (let k = 0; k < 20; k++)
    parts.push(
      `<rect class="swatch" x="${(left + (k * barW) / 20).toFixed(1)}" y="${barY}" width="${(barW / 20).toFixed(1)}" height="8" fill="${heatColor(k / 19)}"/>`,
    );
  const end = (v: number) => (spec.log ? fmt(10 ** v) : fmt(v));
  parts.push(`<text x="${left}" y="${barY + 19}" class="xt">${esc(end(lo))}</text>`);
  parts.push(`<text x="${left + barW}" y="${barY + 19}" class="xt">${esc(end(hi))}</text>`);
  parts.push(`<text x="${left + barW + 10}" y="${barY + 8}" class="yt" style="text-anchor:start">${spec.log ? 'log scale' : 'linear scale'}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
