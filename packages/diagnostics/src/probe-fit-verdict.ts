// The verdict over a probe fit, from its reports and the loss of every step, and the loss-spike
// statistics of the loss curve.
import type { SpikeStats } from './doctor-types.js';
import { fmt } from './format-number.js';
import type { Finding, FindingKind, GradientReport, Verdict } from './report.js';
import { EXPLODING_KINDS, sortFindings, VANISHING_KINDS } from './rules.js';
import type { DiagnosticsThresholds } from './thresholds.js';

/** Ties between verdicts go to the more severe one. */
const SEVERITY: readonly Verdict[] = ['healthy', 'vanishing', 'exploding', 'nonfinite'];

/** The error kinds of a verdict (the findings that make it). */
const kindsOf = (v: Verdict): readonly FindingKind[] =>
  v === 'exploding' ? EXPLODING_KINDS : v === 'vanishing' ? VANISHING_KINDS : v === 'nonfinite' ? ['nonfinite'] : [];
const ERROR_KINDS: readonly FindingKind[] = ['nonfinite', ...EXPLODING_KINDS, ...VANISHING_KINDS];

/** The latest finding of each kind among `reports` that `keep` accepts, in first-seen order. */
function latestByKind(reports: readonly GradientReport[], keep: (f: Finding, r: GradientReport) => boolean): Finding[] {
  const byKind = new Map<FindingKind, Finding>();
  for (const r of reports) for (const f of r.findings) if (keep(f, r)) byKind.set(f.kind, f);
  return [...byKind.values()];
}

/** The finding of a loss that turned NaN or infinite at `step` while no report saw a non-finite gradient. */
function nonFiniteLoss(step: number, loss: number): Finding {
  return {
    kind: 'nonfinite',
    severity: 'error',
    what: `the training loss is ${fmt(loss)} at step ${step}`,
    where: `step ${step}`,
    why: 'once the loss is NaN or infinite, every gradient after it is too and the weights are lost.',
    toTry: [],
  };
}

/**
 * The verdict and findings of a probe fit (`reports` in step order, `losses` the loss of each step):
 *
 * - `nonfinite` when a step's loss is NaN/±Infinity or a report's verdict is `nonfinite` (its
 *   findings: that report's, or one saying at which step the loss turned non-finite);
 * - otherwise the verdict of the majority of the later half of the reports (the last ⌈m/2⌉ of m;
 *   a tie goes to the more severe verdict: exploding, then vanishing, then healthy), since the first
 *   steps of a fit (an adaptive optimizer's first large steps, a net still at its initialization) say
 *   less about it than where it goes.
 *
 * Findings: the verdict's own (error) findings from the later reports with that verdict; each warning
 * kind seen in at least half of the later reports; and a loss spike seen anywhere in the fit (spikes
 * are rare by nature). The latest instance of each kind, sorted as a report's.
 */
export function fitVerdict(reports: readonly GradientReport[], losses: readonly number[]): { verdict: Verdict; findings: Finding[] } {
  const badStep = losses.findIndex((l) => !Number.isFinite(l));
  const badReport = reports.find((r) => r.verdict === 'nonfinite');
  if (badReport) return { verdict: 'nonfinite', findings: sortFindings(badReport.findings) };
  if (badStep >= 0) return { verdict: 'nonfinite', findings: [nonFiniteLoss(badStep, losses[badStep] as number)] };
  if (reports.length === 0) return { verdict: 'healthy', findings: [] };
  const later = reports.slice(Math.floor(reports.length / 2));
  const counts = new Map<Verdict, number>();
  for (const r of later) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  const verdict = [...counts].sort((a, b) => b[1] - a[1] || SEVERITY.indexOf(b[0]) - SEVERITY.indexOf(a[0]))[0]?.[0] ?? 'healthy';
  const own = latestByKind(later, (f, r) => r.verdict === verdict && kindsOf(verdict).includes(f.kind));
  const seen = (kind: FindingKind) => later.filter((r) => r.findings.some((f) => f.kind === kind)).length;
  const warnings = latestByKind(later, (f) => !ERROR_KINDS.includes(f.kind) && f.kind !== 'lossSpike' && 2 * seen(f.kind) >= later.length);
  const spikes = latestByKind(reports, (f) => f.kind === 'lossSpike');
  return { verdict, findings: sortFindings([...own, ...warnings, ...spikes]) };
}

/** The smallest deviation of the loss, relative to its mean, a z-score divides by (as the monitor's spike rule). */
const MIN_RELATIVE_STD = 0.01;

/**
 * Loss-spike statistics of the loss of every step: each finite step loss's z-score against the mean
 * and population deviation of the previous `spikeWindow` finite step losses (the deviation at least
 * 1% of their mean, as the monitor's spike rule); `count` of steps with z > `spikeZ`, the largest z
 * (0 when no step had a full window), and the number of non-finite step losses.
 */
export function spikeStats(losses: readonly number[], th: Pick<DiagnosticsThresholds, 'spikeWindow' | 'spikeZ'>): SpikeStats {
  let count = 0;
  let maxZ = 0;
  const window: number[] = [];
  for (const loss of losses) {
    if (!Number.isFinite(loss)) continue;
    if (window.length === th.spikeWindow) {
      const mean = window.reduce((a, b) => a + b, 0) / window.length;
      const std = Math.max(Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / window.length), MIN_RELATIVE_STD * Math.abs(mean), 1e-12);
      const z = (loss - mean) / std;
      maxZ = Math.max(maxZ, z);
      if (z > th.spikeZ) count++;
      window.shift();
    }
    window.push(loss);
  }
  return { count, maxZ, nonFiniteSteps: losses.filter((l) => !Number.isFinite(l)).length };
}
