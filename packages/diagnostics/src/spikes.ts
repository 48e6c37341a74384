// Loss spikes: a z-score of the loss, and of the log of the global gradient norm, against their
// running mean and deviation over the previous reports; a warning when either jumps, so that the
// instability is seen before the run is lost (loss spikes precede divergence in large-model training:
// Wortsman et al. 2023, "Small-scale proxies for large-scale Transformer training instabilities";
// Chowdhery et al. 2022 restart from before a spike).

import { fmt } from './format-number.js';
import type { Remedies } from './remedies.js';
import type { Finding, GradientReport } from './report.js';
import type { DiagnosticsThresholds } from './thresholds.js';

/** The smallest deviation of log‖g‖ a z-score divides by: norms that never moved do not make every change a spike. */
const MIN_LOG_STD = 0.1;
/** The smallest deviation of the loss, relative to its mean, a z-score divides by. */
const MIN_RELATIVE_STD = 0.01;

/** A value's z-score against `window` (mean and population deviation, the deviation at least `floor`); undefined with a non-finite value. */
function zScore(value: number, window: readonly number[], floor: number): { z: number; mean: number; std: number } | undefined {
  if (!Number.isFinite(value)) return undefined;
  const mean = window.reduce((a, b) => a + b, 0) / window.length;
  const std = Math.max(Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / window.length), floor, 1e-12);
  return { z: (value - mean) / std, mean, std };
}

/** The z-scores of `current`'s loss and log global norm against the previous `spikeWindow` reports (each undefined without `spikeWindow` finite values before it). */
export function spikeScores(previous: readonly GradientReport[], current: GradientReport, th: DiagnosticsThresholds): { loss?: number; norm?: number } {
  const recent = previous.slice(-th.spikeWindow);
  const out: { loss?: number; norm?: number } = {};
  const logs = recent.map((r) => Math.log(r.globalNorm)).filter(Number.isFinite);
  if (logs.length === th.spikeWindow && current.globalNorm > 0) {
    const s = zScore(Math.log(current.globalNorm), logs, MIN_LOG_STD);
    if (s) out.norm = s.z;
  }
  const losses = recent.map((r) => r.loss).filter((l): l is number => l !== undefined && Number.isFinite(l));
  if (losses.length === th.spikeWindow && current.loss !== undefined) {
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    const s = zScore(current.loss, losses, MIN_RELATIVE_STD * Math.abs(mean));
    if (s) out.loss = s.z;
  }
  return out;
}

/**
 * The `lossSpike` warning: the loss's z-score, or that of log‖g‖ (the global gradient norm), against
 * the mean and population deviation of the previous `spikeWindow` reports exceeds `spikeZ` (upward
 * only: a loss that falls faster than usual is no spike). Nothing before `spikeWindow` reports, nor
 * for a non-finite report (the non-finite rule speaks then). Undefined when there is no spike.
 */
export function spikeFinding(previous: readonly GradientReport[], current: GradientReport, th: DiagnosticsThresholds, remedies: Remedies): Finding | undefined {
  if (current.verdict === 'nonfinite') return undefined;
  const z = spikeScores(previous, current, th);
  const lossSpike = z.loss !== undefined && z.loss > th.spikeZ;
  const normSpike = z.norm !== undefined && z.norm > th.spikeZ;
  if (!lossSpike && !normSpike) return undefined;
  const n = Math.min(previous.length, th.spikeWindow);
  const parts = [
    ...(current.loss === undefined ? [] : [`the loss is ${fmt(current.loss)} (z = ${z.loss === undefined ? 'n/a' : fmt(z.loss)})`]),
    `the global gradient norm ${fmt(current.globalNorm)} (z = ${z.norm === undefined ? 'n/a' : fmt(z.norm)} on a log scale)`,
  ];
  return {
    kind: 'lossSpike',
    severity: 'warning',
    what: `a ${lossSpike ? 'loss' : 'gradient-norm'} spike${current.step === undefined ? '' : ` at step ${current.step}`}: ${parts.join(', ')}, against the mean and deviation of the previous ${n} reports; above spikeZ = ${fmt(th.spikeZ)}`,
    where: current.step === undefined ? '(whole network)' : `step ${current.step}`,
    why: 'a sudden jump of the loss or of the gradient norm is the first sign of an instability (a rate too high for the current curvature, a bad batch, attention logits growing): seen now, before the run is lost, it can still be handled (Wortsman et al. 2023).',
    // Clipping bounds the steps a spike would take (gradient-lab `exploding-clip` against `exploding`), unless the chain clips
    // already; a lower rate keeps the steps below the curvature (`large-lr` against `relu-he`).
    toTry: [...remedies.exploding.filter((r) => r === remedies.phrases.clip), remedies.phrases.lowerLr],
  };
}
