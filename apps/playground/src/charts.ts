// Small canvas charts, no dependencies: lines over steps (linear or log scale), bars per layer
// (log scale) and heat maps (log color scale, with a legend). Each draws the whole chart from its data, sized to the canvas's CSS box.

/** One line of a line chart. */
export interface Series {
  /** Legend text. */
  readonly label: string;
  /** CSS color. */
  readonly color: string;
  /** Points (x, y); non-finite y values break the line. */
  readonly points: readonly (readonly [number, number])[];
  /** Line width in CSS pixels (default 1.5). */
  readonly width?: number;
  /** Dash pattern (canvas `setLineDash`), when dashed. */
  readonly dash?: readonly number[];
}

/** One bar of a bar chart. */
export interface Bar {
  /** Label under the bar. */
  readonly label: string;
  /** Value (log scale: values ≤ 0 are drawn as missing). */
  readonly value: number;
  /** CSS color. */
  readonly color: string;
  /** An outline drawn at this value (e.g. the first report), when given. */
  readonly reference?: number;
}

const BG = '#ffffff';
const AXIS = '#8a8f98';
const TEXT = '#30343b';
const GRID = '#eceef1';
const PAD = { left: 52, right: 12, top: 10, bottom: 34 };

/** The canvas's 2D context, scaled for the device pixel ratio and cleared. */
function prepare(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = BG;
  ctx.fillRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, w, h };
}

/** Short number text for axes: 1e-8, 0.25, 12, 3.4k. */
export function tick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-2) return v.toExponential(0).replace('e+', 'e');
  if (a >= 100) return v.toFixed(0);
  return Number(v.toPrecision(2)).toString();
}

function empty(ctx: CanvasRenderingContext2D, w: number, h: number, text: string): void {
  ctx.fillStyle = AXIS;
  ctx.textAlign = 'center';
  ctx.fillText(text, w / 2, h / 2);
}

/** A y axis: linear over [lo, hi] or log10 over [10^lo, 10^hi]; returns value → pixel. */
function yAxis(ctx: CanvasRenderingContext2D, w: number, h: number, lo: number, hi: number, log: boolean): (v: number) => number {
  const y = (v: number) => {
    const t = log ? Math.log10(v) : v;
    return PAD.top + (h - PAD.top - PAD.bottom) * (1 - (t - lo) / (hi - lo || 1));
  };
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const ticks: number[] = [];
  if (log) {
    const step = Math.max(1, Math.ceil((hi - lo) / 6));
    for (let e = Math.ceil(lo); e <= hi; e += step) ticks.push(10 ** e);
  } else {
    for (let i = 0; i <= 4; i++) ticks.push(lo + ((hi - lo) * i) / 4);
  }
  for (const t of ticks) {
    const py = y(t);
    ctx.strokeStyle = GRID;
    ctx.beginPath();
    ctx.moveTo(PAD.left, py);
    ctx.lineTo(w - PAD.right, py);
    ctx.stroke();
    ctx.fillStyle = TEXT;
    ctx.fillText(tick(t), PAD.left - 4, py);
  }
  ctx.strokeStyle = AXIS;
  ctx.beginPath();
  ctx.moveTo(PAD.left, PAD.top);
  ctx.lineTo(PAD.left, h - PAD.bottom);
  ctx.lineTo(w - PAD.right, h - PAD.bottom);
  ctx.stroke();
  return y;
}

/** Lines over steps. `log`: log10 y axis (non-positive values skipped). `yRange` fixes the linear range. */
export function drawLines(
  canvas: HTMLCanvasElement,
  series: readonly Series[],
  options: { readonly log?: boolean; readonly xMax?: number; readonly yRange?: readonly [number, number]; readonly xLabel?: string } = {},
): number {
  const { ctx, w, h } = prepare(canvas);
  const log = options.log ?? false;
  const ok = (v: number) => Number.isFinite(v) && (!log || v > 0);
  const ys = series.flatMap((s) => s.points.map(([, v]) => v)).filter(ok);
  if (ys.length === 0) {
    empty(ctx, w, h, 'no data yet');
    return 0;
  }
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const xMax = Math.max(options.xMax ?? 0, ...xs, 1);
  let [lo, hi] = options.yRange ?? (log ? [Math.log10(Math.min(...ys)), Math.log10(Math.max(...ys))] : [Math.min(0, ...ys), Math.max(...ys)]);
  if (log) [lo, hi] = [Math.floor(lo), Math.ceil(hi === lo ? hi + 1 : hi)];
  else if (hi === lo) hi = lo + 1;
  const y = yAxis(ctx, w, h, lo, hi, log);
  const x = (v: number) => PAD.left + ((w - PAD.left - PAD.right) * v) / xMax;
  ctx.fillStyle = TEXT;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const xStep = niceStep(xMax / 4);
  for (let v = 0; v <= xMax + 1e-9; v += xStep) ctx.fillText(tick(v), x(v), h - PAD.bottom + 4);
  ctx.fillText(options.xLabel ?? 'step', (PAD.left + w - PAD.right) / 2, h - 14);
  let drawn = 0;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = s.width ?? 1.5;
    ctx.setLineDash(s.dash ? [...s.dash] : []);
    ctx.beginPath();
    let pen = false;
    for (const [px, py] of s.points) {
      if (!ok(py)) {
        pen = false;
        continue;
      }
      const cx = x(px);
      const cy = y(py);
      if (pen) ctx.lineTo(cx, cy);
      else ctx.moveTo(cx, cy);
      pen = true;
      drawn++;
    }
    ctx.stroke();
    // A point without a finite neighbour draws no line: mark it with a dot.
    s.points.forEach(([px, py], i) => {
      if (ok(py) && !ok(s.points[i - 1]?.[1] ?? Number.NaN) && !ok(s.points[i + 1]?.[1] ?? Number.NaN)) ctx.fillRect(x(px) - 2.5, y(py) - 2.5, 5, 5);
    });
  }
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  return drawn;
}

/** Bars per layer on a log10 axis (the gradient-flow chart); returns how many bars were drawn. */
export function drawBars(canvas: HTMLCanvasElement, bars: readonly Bar[]): number {
  const { ctx, w, h } = prepare(canvas);
  const values = bars.flatMap((b) => [b.value, b.reference ?? Number.NaN]).filter((v) => Number.isFinite(v) && v > 0);
  const notFinite = bars.filter((b) => !Number.isFinite(b.value)).length;
  if (values.length === 0) {
    empty(ctx, w, h, bars.length ? 'gradients are all zero or not finite' : 'no report yet');
    return 0;
  }
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
  const y = yAxis(ctx, w, h, lo, hi, true);
  const slot = (w - PAD.left - PAD.right) / bars.length;
  const bw = Math.max(2, Math.min(28, slot * 0.7));
  const base = h - PAD.bottom;
  let drawn = 0;
  bars.forEach((b, i) => {
    const cx = PAD.left + slot * (i + 0.5);
    if (Number.isFinite(b.value) && b.value > 0) {
      ctx.fillStyle = b.color;
      const top = y(b.value);
      ctx.fillRect(cx - bw / 2, top, bw, base - top);
      drawn++;
    }
    if (b.reference !== undefined && Number.isFinite(b.reference) && b.reference > 0) {
      ctx.strokeStyle = TEXT;
      ctx.setLineDash([3, 2]);
      ctx.strokeRect(cx - bw / 2, y(b.reference), bw, base - y(b.reference));
      ctx.setLineDash([]);
    }
    const every = Math.ceil(bars.length / Math.max(1, Math.floor((w - PAD.left - PAD.right) / 28)));
    if (i % every === 0) {
      ctx.fillStyle = TEXT;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(b.label, cx, base + 4);
    }
  });
  ctx.fillStyle = TEXT;
  ctx.textAlign = 'center';
  ctx.fillText('weight layer (input → output)', (PAD.left + w - PAD.right) / 2, h - 14);
  if (notFinite > 0) {
    ctx.fillStyle = '#b42318';
    ctx.textBaseline = 'top';
    ctx.fillText(`✖ NaN or ±Infinity in ${notFinite} of ${bars.length} layers`, (PAD.left + w - PAD.right) / 2, PAD.top);
  }
  return drawn;
}

/** A round step (1, 2 or 5 × 10^k) at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** A color from blue (input side, t = 0) to red (output side, t = 1). */
export function layerColor(t: number): string {
  const hue = 220 - 220 * Math.min(1, Math.max(0, t));
  return `hsl(${hue.toFixed(0)} 70% 45%)`;
}

/** One panel of a heat map: rows (e.g. training steps) × columns (e.g. time steps t). */
export interface HeatPanel {
  /** Title drawn above the panel (e.g. the recurrent layer). */
  readonly label: string;
  /** Column keys, left to right (e.g. t = 0 … T−1). */
  readonly columns: readonly number[];
  /** Rows top to bottom: a key (e.g. the training step) and one value per column (NaN: missing). */
  readonly rows: readonly { readonly key: number; readonly values: readonly number[] }[];
}

/** Stops of the heat map's color scale (viridis, from small to large). */
const VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];

/** The color of `t` in [0, 1] on the viridis stops (linear between them). */
export function heatColor(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const [a, b] = [VIRIDIS[i] as string, VIRIDIS[i + 1] as string].map((c) => [1, 3, 5].map((k) => Number.parseInt(c.slice(k, k + 2), 16)));
  const mix = (a as number[]).map((v, k) => Math.round(v + (((b as number[])[k] as number) - v) * (x - i)));
  return `rgb(${mix.join(' ')})`;
}

/**
 * Heat maps on a log10 color scale shared by the panels (stacked top to bottom), with a legend of the
 * scale on the right. Zero values are drawn light grey, non-finite ones red. Returns the number of
 * cells drawn with a finite positive value.
 */
export function drawHeatMap(
  canvas: HTMLCanvasElement,
  panels: readonly HeatPanel[],
  options: { readonly xLabel?: string; readonly yLabel?: string; readonly empty?: string } = {},
): number {
  const { ctx, w, h } = prepare(canvas);
  const values = panels.flatMap((p) => p.rows.flatMap((r) => r.values)).filter((v) => Number.isFinite(v) && v > 0);
  if (values.length === 0) {
    empty(ctx, w, h, options.empty ?? 'no report yet');
    return 0;
  }
  let lo = Math.floor(Math.log10(Math.min(...values)));
  let hi = Math.ceil(Math.log10(Math.max(...values)));
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const legend = 58;
  const left = PAD.left;
  const right = w - PAD.right - legend;
  const gap = 16;
  const panelH = (h - PAD.top - PAD.bottom - gap * panels.length) / panels.length;
  let drawn = 0;
  panels.forEach((p, k) => {
    const top = PAD.top + gap + k * (panelH + gap);
    ctx.fillStyle = TEXT;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    ctx.fillText(p.label, left, top - 2);
    const cw = (right - left) / Math.max(1, p.columns.length);
    const ch = panelH / Math.max(1, p.rows.length);
    p.rows.forEach((row, r) => {
      row.values.forEach((v, c) => {
        ctx.fillStyle = !Number.isFinite(v) ? (Number.isNaN(v) ? BG : '#b42318') : v > 0 ? heatColor((Math.log10(v) - lo) / (hi - lo)) : GRID;
        ctx.fillRect(left + c * cw, top + r * ch, Math.ceil(cw), Math.ceil(ch));
        if (Number.isFinite(v) && v > 0) drawn++;
      });
    });
    ctx.strokeStyle = AXIS;
    ctx.strokeRect(left, top, right - left, panelH);
    // Row keys (training steps) at the first and last rows, column keys at a few columns.
    ctx.fillStyle = TEXT;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const everyRow = Math.max(1, Math.ceil(p.rows.length / Math.max(1, Math.floor(panelH / 14))));
    p.rows.forEach((row, r) => {
      if (r % everyRow === 0 || r === p.rows.length - 1) ctx.fillText(tick(row.key), left - 4, top + (r + 0.5) * ch);
    });
    if (k === panels.length - 1) {
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      const everyCol = Math.max(1, Math.ceil(p.columns.length / Math.max(1, Math.floor((right - left) / 32))));
      p.columns.forEach((t, c) => {
        if (c % everyCol === 0 || c === p.columns.length - 1) ctx.fillText(tick(t), left + (c + 0.5) * cw, top + panelH + 4);
      });
    }
  });
  ctx.fillStyle = TEXT;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(options.xLabel ?? 'time step t', (left + right) / 2, h - 6);
  if (options.yLabel) {
    ctx.save();
    ctx.translate(12, (PAD.top + h - PAD.bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(options.yLabel, 0, 0);
    ctx.restore();
  }
  // Legend: the color scale from 10^lo (bottom) to 10^hi (top).
  const lx = right + 14;
  const [ly0, ly1] = [PAD.top + gap, h - PAD.bottom];
  for (let y = ly0; y < ly1; y++) {
    ctx.fillStyle = heatColor(1 - (y - ly0) / (ly1 - ly0));
    ctx.fillRect(lx, y, 12, 1);
  }
  ctx.strokeStyle = AXIS;
  ctx.strokeRect(lx, ly0, 12, ly1 - ly0);
  ctx.fillStyle = TEXT;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  const step = Math.max(1, Math.ceil((hi - lo) / 5));
  for (let e = lo; e <= hi; e += step) ctx.fillText(tick(10 ** e), lx + 16, ly1 - ((e - lo) / (hi - lo)) * (ly1 - ly0));
  return drawn;
}
