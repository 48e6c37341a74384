import { checkOptions, describeValue, HyperParameterError } from '@gradkit/core';
import { entropyFraction } from './attention.js';
import { checkSequenceFields } from './check-sequence.js';
import { checkReport, wholeNumber } from './checks.js';
import { fmt, pct } from './format-number.js';
import type { GradientReport } from './report.js';
import { groupStepTaps, sampleIndices } from './step-groups.js';

/**
 * Options of `formatText`.
 *
 * @example
 * ```ts
 * formatText(report, { barWidth: 40, findings: false });
 * ```
 */
export interface FormatTextOptions {
  /** Width of the gradient-flow bars (log-scale ‖g‖ per layer), in characters; 0 hides them. Default 24. */
  readonly barWidth?: number;
  /** Include the findings (default true). */
  readonly findings?: boolean;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly boolean[]): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, j) => (rightAligned[j] ? c.padStart(widths[j] as number) : c.padEnd(widths[j] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}

/** Log-scale bars: the largest finite positive value gets `width` characters, 1e-(decades) of it none. */
function bars(values: readonly number[], width: number): string[] {
  const logs = values.map((v) => (v > 0 && Number.isFinite(v) ? Math.log10(v) : Number.NaN));
  const finite = logs.filter((l) => Number.isFinite(l));
  if (finite.length === 0 || width <= 0) return values.map((v) => (Number.isFinite(v) ? '' : '!'));
  const hi = Math.max(...finite);
  const lo = Math.min(...finite, hi - 1);
  return values.map((v, i) => {
    if (!Number.isFinite(v)) return '!'.repeat(Math.min(3, width));
    const l = logs[i] as number;
    if (!Number.isFinite(l)) return '';
    return '█'.repeat(Math.max(1, Math.round(((l - lo) / (hi - lo)) * width)));
  });
}

/**
 * One line per recurrent layer: ‖∂L/∂hₜ‖ at about 6 steps (the first and the last among them), the
 * first/last ratio and the decay per step going back in time.
 */
function temporalLines(report: GradientReport): string[] {
  const profiles = report.temporal ?? [];
  if (profiles.length === 0) return [];
  const lines = profiles.map((p) => {
    const at = sampleIndices(p.steps.length, 6).map((i) => `t=${p.steps[i]} ${fmt(p.gradNorm[i])}`);
    return `  ${p.layer}${p.of === 'input' ? ' (∂L/∂xₜ at its input)' : ''} (${p.steps.length} steps): ${at.join(' · ')}   first/last ${fmt(p.firstLastRatio)}, ×${fmt(p.decayPerStep)} per step back`;
  });
  return ['', 'through time: ‖∂L/∂hₜ‖ per recurrent layer (‖∂L/∂xₜ‖ where marked)', ...lines];
}

/** The attention table: entropy (nats) against ln(keys), max |logit| and the logits' std per attention layer. */
function attentionLines(report: GradientReport): string[] {
  const stats = report.attention ?? [];
  if (stats.length === 0) return [];
  const header = ['attention', 'entropy', 'max entropy', 'of uniform', 'max|logit|', 'logit std'];
  const rows = stats.map((a) => [a.layer, fmt(a.entropy), fmt(a.maxEntropy), pct(entropyFraction(a)), fmt(a.logitMaxAbs), fmt(a.logitStd)]);
  return [
    '',
    ...table(
      header,
      rows,
      header.map((_, j) => j >= 1),
    ),
  ];
}

const shapeText = (shape: readonly number[]) => (shape.length === 0 ? 'scalar' : shape.join('×'));

/**
 * Renders a report as plain text for terminals: the verdict, a per-layer table (‖g‖ with a log-scale
 * gradient-flow bar, mean, std, max |g|, zero and non-finite counts, ‖θ‖, ‖g‖/‖θ‖, ‖u‖/‖θ‖), a
 * per-activation table (kind, dead units, saturation, ‖∂L/∂h‖; a recurrent layer's step taps
 * `<layer>.t<k>` in one row per layer), the gradient flow through time (‖∂L/∂hₜ‖ at a few steps t,
 * the first/last ratio and the decay per step, per recurrent layer), the attention table (entropy
 * −Σ p ln p in nats against its maximum ln(keys), max |logit| and the logits' std, per attention
 * layer), and the findings with what to try.
 *
 * @throws ValueError when `report` is not a GradientReport; UnknownOptionError for an option it
 *   does not take; HyperParameterError for a `barWidth` that is not a whole number ≥ 0 or a
 *   `findings` that is not a boolean.
 * @example
 * ```ts
 * console.log(formatText(await inspectGradients(grads, { params })));
 * ```
 */
export function formatText(report: GradientReport, options: FormatTextOptions = {}): string {
  checkReport('report', report);
  checkSequenceFields('report', report);
  const o = checkOptions('formatText', options, ['barWidth', 'findings'], { example: 'formatText(report, { barWidth: 24, findings: true })' });
  const barWidth = wholeNumber('barWidth', o.barWidth, 24, 0, 'characters of the gradient-flow bars; 0 hides them');
  if (o.findings !== undefined && typeof o.findings !== 'boolean')
    throw new HyperParameterError('findings', `findings must be true or false, got ${describeValue(o.findings)}`);
  const showFindings = o.findings ?? true;
  const out: string[] = [];
  const head = [`gradient report${report.step === undefined ? '' : ` · step ${report.step}`}`, `backend ${report.backend}`];
  out.push(head.join(' · '));
  out.push(
    `verdict: ${report.verdict.toUpperCase()}   global ‖g‖ = ${fmt(report.globalNorm)}${report.firstLastRatio === undefined ? '' : `   first/last layer ‖g‖ ratio = ${fmt(report.firstLastRatio)}`}`,
  );
  out.push('');
  const hasParams = report.layers.some((l) => l.paramNorm !== undefined);
  const hasUpdates = report.layers.some((l) => l.updateRatio !== undefined);
  const flow = bars(
    report.layers.map((l) => l.gradNorm),
    barWidth,
  );
  const header = ['layer', 'shape', '‖g‖', ...(barWidth > 0 ? ['flow (log)'] : []), 'mean', 'std', 'max|g|', 'zero', 'non-finite'];
  if (hasParams) header.push('‖θ‖', '‖g‖/‖θ‖');
  if (hasUpdates) header.push('‖u‖/‖θ‖');
  const rows = report.layers.map((l, i) => {
    const row = [
      l.name,
      shapeText(l.shape),
      fmt(l.gradNorm),
      ...(barWidth > 0 ? [flow[i] as string] : []),
      fmt(l.gradMean),
      fmt(l.gradStd),
      fmt(l.gradMaxAbs),
      pct(l.gradZeroFraction),
      String(l.nonFinite),
    ];
    if (hasParams) row.push(fmt(l.paramNorm), fmt(l.gradToParam));
    if (hasUpdates) row.push(fmt(l.updateRatio));
    return row;
  });
  out.push(
    ...table(
      header,
      rows,
      header.map((_, j) => j >= 2 && !(barWidth > 0 && j === 3)),
    ),
  );
  if (report.activations.length > 0) {
    out.push('');
    const aHeader = ['activation', 'kind', 'units', 'dead', 'saturated', 'mean', 'std', 'min', 'max', '‖∂L/∂h‖'];
    const aRows = groupStepTaps(report.activations).map((a) => [
      a.name,
      a.kind,
      String(a.units),
      a.kind === 'relu' ? pct(a.deadFraction) : '–',
      a.kind === 'sigmoid' || a.kind === 'tanh' ? pct(a.saturationFraction) : '–',
      fmt(a.mean),
      fmt(a.std),
      fmt(a.min),
      fmt(a.max),
      fmt(a.gradNorm),
    ]);
    out.push(
      ...table(
        aHeader,
        aRows,
        aHeader.map((_, j) => j >= 2),
      ),
    );
  }
  out.push(...temporalLines(report), ...attentionLines(report));
  if (showFindings) {
    out.push('');
    if (report.findings.length === 0) out.push('findings: none (no rule fired)');
    for (const f of report.findings) {
      out.push(`${f.severity === 'error' ? '✗' : '!'} ${f.kind} at ${f.where}`);
      out.push(`  seen: ${f.what}`);
      out.push(`  why:  ${f.why}`);
      out.push('  try:');
      for (const t of f.toTry) out.push(`    - ${t}`);
    }
  }
  return out.join('\n');
}
