// The HTML report's pictures of gradients through time and through attention (not part of the
// package's surface): per recurrent layer, ‖∂L/∂hₜ‖ over t for one report and a heat map over
// training steps × t for a history; per attention layer, the entropy over steps and a table.
import { entropyFraction } from './attention.js';
import { fmt, pct } from './format-number.js';
import type { GradientReport } from './report.js';
import { depthColor, esc, heatMap, lineChart, type Series } from './svg.js';
import { gradSymbol } from './temporal.js';

/** One line chart per recurrent layer of the report: ‖∂L/∂hₜ‖ over t, log scale. */
export function temporalCharts(r: GradientReport): string {
  return (r.temporal ?? [])
    .map((p) =>
      lineChart({
        title: `Gradient flow through time: ${gradSymbol(p)} of ${p.layer}${p.of === 'input' ? ' (at its input)' : ''} (log scale)`,
        xLabels: p.steps.map(String),
        xTitle: `time step t (first/last ${fmt(p.firstLastRatio)}, ×${fmt(p.decayPerStep)} per step back)`,
        yTitle: gradSymbol(p),
        series: [{ name: gradSymbol(p), values: p.gradNorm, color: '#7c3aed', width: 2 }],
        log: true,
      }),
    )
    .join('');
}

/** The recurrent layers of a history, in order of first appearance. */
const layersOf = <T>(reports: readonly GradientReport[], pick: (r: GradientReport) => readonly T[] | undefined, name: (x: T) => string) => [
  ...new Set(reports.flatMap((r) => (pick(r) ?? []).map(name))),
];

/**
 * For a history: per recurrent layer, a heat map of ‖∂L/∂hₜ‖ with one row per report that profiled
 * it (its training step) and one column per time step t; then the attention entropy of each attention
 * layer over the steps (with ln(keys), uniform attention, dashed) and max |logit| over the steps.
 */
export function sequenceHistoryCharts(reports: readonly GradientReport[]): string {
  if (reports.length < 2) return '';
  const out: string[] = [];
  const stepLabel = (r: GradientReport, i: number) => String(r.step ?? i);
  for (const layer of layersOf(
    reports,
    (r) => r.temporal,
    (p) => p.layer,
  )) {
    const rows = reports.flatMap((r, i) => {
      const p = r.temporal?.find((q) => q.layer === layer);
      return p ? [{ label: stepLabel(r, i), p }] : [];
    });
    if (rows.length < 2) continue;
    const widest = rows.reduce((a, b) => (b.p.steps.length > a.p.steps.length ? b : a)).p.steps;
    out.push(
      heatMap({
        title: `‖∂L/∂hₜ‖ of ${layer} over training (rows: steps; columns: t; log scale)`,
        rowLabels: rows.map((x) => x.label),
        colLabels: widest.map(String),
        rowTitle: 'step',
        colTitle: 't',
        values: rows.map(({ p }) => widest.map((t) => p.gradNorm[p.steps.indexOf(t)] ?? Number.NaN)),
        log: true,
      }),
    );
    out.push('<p class="muted">Dark: little gradient reaches that time step; a dark left edge is the gradient vanishing through time.</p>');
  }
  const attention = layersOf(
    reports,
    (r) => r.attention,
    (a) => a.layer,
  );
  if (attention.length > 0) {
    const xLabels = reports.map(stepLabel);
    const value = (layer: string, key: 'entropy' | 'maxEntropy' | 'logitMaxAbs') =>
      reports.map((r) => r.attention?.find((a) => a.layer === layer)?.[key] ?? Number.NaN);
    const entropy: Series[] = attention.map((layer, i) => ({
      name: layer,
      values: value(layer, 'entropy'),
      color: depthColor(i, attention.length),
      width: 1.5,
    }));
    const uniform = Math.max(...attention.flatMap((l) => value(l, 'maxEntropy')).filter(Number.isFinite));
    if (Number.isFinite(uniform)) entropy.push({ name: 'ln(keys)', values: reports.map(() => uniform), color: '#9aa3af', width: 1 });
    out.push(lineChart({ title: 'Attention entropy per layer over steps (nats)', xLabels, xTitle: 'step', yTitle: 'entropy', series: entropy, log: false }));
    out.push(
      lineChart({
        title: 'Largest attention logit |logit| per layer over steps (log scale)',
        xLabels,
        xTitle: 'step',
        yTitle: 'max |logit|',
        series: attention.map((layer, i) => ({ name: layer, values: value(layer, 'logitMaxAbs'), color: depthColor(i, attention.length), width: 1.5 })),
        log: true,
      }),
    );
    out.push('<p class="muted">Entropy near 0: each query attends to one key (the softmax saturated); grey: uniform attention, ln(keys).</p>');
  }
  return out.join('');
}

/** The attention statistics of one report as a table. */
export function attentionTable(r: GradientReport): string {
  const stats = r.attention ?? [];
  if (stats.length === 0) return '';
  const head = ['attention', 'entropy (nats)', 'ln(keys)', 'of uniform', 'max |logit|', 'logit std'];
  const rows = stats.map((a) =>
    [a.layer, fmt(a.entropy), fmt(a.maxEntropy), pct(entropyFraction(a)), fmt(a.logitMaxAbs), fmt(a.logitStd)].map((c) => `<td>${esc(c)}</td>`).join(''),
  );
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row}</tr>`).join('')}</tbody></table>`;
}
