// Gradient flow through time: from the step taps of recurrent layers (`<layer>.t<k>`, see tap-names.ts),
// ‖∂L/∂hₜ‖ over t and the vanishing/exploding-through-time findings (Bengio et al. 1994; Pascanu et al.
// 2013). Pure host code over the activation reports.

import { fmt } from './format-number.js';
import { explodingThroughTimeRemedies, vanishingThroughTimeRemedies } from './remedies-sequence.js';
import type { ActivationReport, Finding, TemporalProfile } from './report.js';
import type { DiagnoseInput } from './rules.js';
import { stepTap } from './tap-names.js';
import type { DiagnosticsThresholds } from './thresholds.js';

/**
 * The profile of one recurrent layer from its step taps (in any order): steps ascending, ‖∂L/∂hₜ‖ of
 * each, ρ = ‖∂L/∂h_first‖/‖∂L/∂h_last‖ and the geometric mean factor per step ρ^(1/(t_last − t_first)).
 * Undefined with fewer than two steps that recorded a gradient.
 */
export function temporalProfile(
  layer: string,
  taps: readonly { t: number; gradNorm: number }[],
  of: 'hidden' | 'input' = 'hidden',
): TemporalProfile | undefined {
  const sorted = [...taps].sort((a, b) => a.t - b.t);
  if (sorted.length < 2) return undefined;
  const steps = sorted.map((s) => s.t);
  const gradNorm = sorted.map((s) => s.gradNorm);
  const [first, last] = [gradNorm[0] as number, gradNorm[gradNorm.length - 1] as number];
  const span = (steps[steps.length - 1] as number) - (steps[0] as number);
  const profile: TemporalProfile = of === 'input' ? { layer, steps, gradNorm, of } : { layer, steps, gradNorm };
  if (!(last > 0) || !gradNorm.every(Number.isFinite)) return profile;
  const firstLastRatio = first / last;
  return { ...profile, firstLastRatio, decayPerStep: firstLastRatio ** (1 / span) };
}

/**
 * One `TemporalProfile` per recurrent layer among the taps (in order of first appearance), from the
 * step taps `<layer>.t<k>` that recorded a gradient; undefined when there is none.
 */
export function temporalProfiles(input: Pick<DiagnoseInput, 'activations'>): TemporalProfile[] | undefined {
  const byLayer = new Map<string, { t: number; gradNorm: number }[]>();
  for (const a of input.activations) {
    const s = stepTap(a.name);
    if (s === undefined || a.gradNorm === undefined) continue;
    const list = byLayer.get(s.layer) ?? [];
    list.push({ t: s.t, gradNorm: a.gradNorm });
    byLayer.set(s.layer, list);
  }
  const out = [...byLayer].flatMap(([layer, taps]) => temporalProfile(layer, taps) ?? []);
  return out.length > 0 ? out : undefined;
}

/** The norm a profile holds, for people: ‖∂L/∂hₜ‖, or ‖∂L/∂xₜ‖ for a profile of the input. */
export const gradSymbol = (p: TemporalProfile): string => (p.of === 'input' ? '‖∂L/∂xₜ‖' : '‖∂L/∂hₜ‖');

/** `steps a–b` (or `step a`) for the smallest and largest of `steps`. */
const stepRange = (steps: readonly number[]) => {
  const [lo, hi] = [Math.min(...steps), Math.max(...steps)];
  return lo === hi ? `step ${lo}` : `steps ${lo}–${hi}`;
};

/**
 * Where: the layer and the steps whose ‖∂L/∂hₜ‖ is past `factor`·‖∂L/∂h_last‖ (below it when
 * vanishing, above it when exploding), e.g. `0.rnn, steps 0–37 of 100`.
 */
function located(p: TemporalProfile, factor: number, below: boolean): string {
  const bound = factor * (p.gradNorm[p.gradNorm.length - 1] as number);
  const hit = p.steps.filter((_, i) => (below ? (p.gradNorm[i] as number) < bound : (p.gradNorm[i] as number) > bound));
  return `${p.layer}, ${stepRange(hit)} of ${p.steps.length}`;
}

function describe(p: TemporalProfile): string {
  const [first, last] = [p.steps[0] as number, p.steps[p.steps.length - 1] as number];
  const zeros = p.steps.filter((_, i) => p.gradNorm[i] === 0);
  const underflow = zeros.length === 0 ? '' : `; it is exactly 0 (float32 underflow) at ${stepRange(zeros)}`;
  const of = p.of === 'input' ? `${gradSymbol(p)} at the input of ${p.layer}` : `${gradSymbol(p)} of ${p.layer}`;
  return `${of} goes from ${fmt(p.gradNorm[p.gradNorm.length - 1])} at t = ${last} to ${fmt(p.gradNorm[0])} at t = ${first}: ${fmt(p.firstLastRatio)}× over ${last - first} steps back (×${fmt(p.decayPerStep)} per step${underflow})`;
}

const WHY_VANISHING =
  'the gradient reaching the first steps is a product of one Jacobian per step; when their norms stay below 1 it shrinks geometrically, so what the first steps should learn from the loss never reaches them: the layer cannot learn dependencies that long (Bengio et al. 1994; Hochreiter 1991; Pascanu et al. 2013).';
const WHY_EXPLODING =
  'the gradient reaching the first steps is a product of one Jacobian per step; when their norms exceed 1 it grows geometrically with the length of the sequence, and one step of that size throws the weights far off (Bengio et al. 1994; Pascanu et al. 2013).';

/**
 * The through-time findings: `explodingThroughTime` when ρ > `timeExplodingRatio`,
 * `vanishingThroughTime` when ρ < `timeVanishingRatio` (both errors), per recurrent layer.
 */
export function temporalFindings(
  input: { readonly thresholds: DiagnosticsThresholds; readonly inChain?: readonly string[] | undefined; readonly activations?: readonly ActivationReport[] },
  profiles: readonly TemporalProfile[] | undefined,
  _remedies?: unknown,
): Finding[] {
  const th = input.thresholds;
  return (profiles ?? []).flatMap((p): Finding[] => {
    const ratio = p.firstLastRatio;
    if (ratio === undefined) return [];
    if (ratio > th.timeExplodingRatio)
      return [
        {
          kind: 'explodingThroughTime',
          severity: 'error',
          what: `${describe(p)}, above timeExplodingRatio = ${fmt(th.timeExplodingRatio)}`,
          where: located(p, th.timeExplodingRatio, false),
          why: WHY_EXPLODING,
          toTry: explodingThroughTimeRemedies(input.inChain ?? []),
        },
      ];
    if (ratio < th.timeVanishingRatio)
      return [
        {
          kind: 'vanishingThroughTime',
          severity: 'error',
          what: `${describe(p)}, below timeVanishingRatio = ${fmt(th.timeVanishingRatio)}`,
          where: located(p, th.timeVanishingRatio, true),
          why: WHY_VANISHING,
          toTry: vanishingThroughTimeRemedies(p.layer, input.activations?.find((a) => stepTap(a.name)?.layer === p.layer)?.kind),
        },
      ];
    return [];
  });
}
