// The activation rows the text and HTML reports show: a recurrent layer's step taps (`<layer>.t<k>`,
// one per time step) become one row for the layer, so 100 steps do not print 100 rows. Not part of
// the package's surface.
import type { ActivationReport } from './report.js';
import { stepTap } from './tap-names.js';

/**
 * The taps of a report with each recurrent layer's step taps merged into one row, at the position of
 * its first step, named `<layer>.t<first>…t<last> (<n> steps)`: dead and saturated fractions and the
 * mean averaged over the steps (every step has the same size), the std pooled
 * (√(mean of (stdₜ² + meanₜ²) − mean²)), min and max over all steps, ‖∂L/∂h‖ = √Σₜ‖∂L/∂hₜ‖² (the
 * norm of all the steps' gradients together) when every step recorded one, the non-finite counts summed.
 */
export function groupStepTaps(activations: readonly ActivationReport[]): ActivationReport[] {
  const groups = new Map<string, ActivationReport[]>();
  for (const a of activations) {
    const s = stepTap(a.name);
    if (s === undefined) continue;
    const list = groups.get(s.layer) ?? [];
    list.push(a);
    groups.set(s.layer, list);
  }
  const out: ActivationReport[] = [];
  for (const a of activations) {
    const s = stepTap(a.name);
    if (s === undefined) out.push(a);
    else if (groups.get(s.layer)?.[0] === a) out.push(merge(s.layer, groups.get(s.layer) as ActivationReport[]));
  }
  return out;
}

const average = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

function merge(layer: string, steps: readonly ActivationReport[]): ActivationReport {
  if (steps.length === 1) return steps[0] as ActivationReport;
  const ts = steps.map((a) => stepTap(a.name)?.t as number);
  const first = steps[0] as ActivationReport;
  const mean = average(steps.map((a) => a.mean));
  const grads = steps.map((a) => a.gradNorm);
  const row: ActivationReport = {
    name: `${layer}.t${Math.min(...ts)}…t${Math.max(...ts)} (${steps.length} steps)`,
    kind: first.kind,
    shape: first.shape,
    units: first.units,
    deadFraction: average(steps.map((a) => a.deadFraction)),
    saturationFraction: average(steps.map((a) => a.saturationFraction)),
    mean,
    std: Math.sqrt(Math.max(0, average(steps.map((a) => a.std ** 2 + a.mean ** 2)) - mean ** 2)),
    min: Math.min(...steps.map((a) => a.min)),
    max: Math.max(...steps.map((a) => a.max)),
    nonFinite: steps.reduce((s, a) => s + a.nonFinite, 0),
  };
  if (!grads.every((g) => g !== undefined)) return row;
  return {
    ...row,
    gradNorm: Math.sqrt(grads.reduce((s: number, g) => s + (g as number) ** 2, 0)),
    gradNonFinite: steps.reduce((s, a) => s + (a.gradNonFinite ?? 0), 0),
  };
}

/** About `count` steps of a profile to print, evenly spaced, always the first and the last (indices into its steps). */
export function sampleIndices(length: number, count: number): number[] {
  if (length <= count) return Array.from({ length }, (_, i) => i);
  return [...new Set(Array.from({ length: count }, (_, k) => Math.round((k * (length - 1)) / (count - 1))))];
}
