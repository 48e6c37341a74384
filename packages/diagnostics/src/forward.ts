// The forward signal as part of the verdict: activations whose scale grows layer after layer
// (weights too large for the activation: He×2 doubles a ReLU net's signal at every layer) explode in
// the forward pass, whatever the gradients look like at that moment; their softmax then saturates
// and a clipped loss can give exactly zero gradients, which the gradient rules alone would call
// vanishing.

import { fmt } from './format-number.js';
import type { Remedies } from './remedies.js';
import type { ActivationReport, Finding } from './report.js';
import { isDepthTap } from './tap-names.js';
import type { DiagnosticsThresholds } from './thresholds.js';

/** The growth of the activations' scale along depth: the first depth tap, the largest, and their ratio of standard deviations. */
export interface ForwardGrowth {
  /** The first depth tap with a finite, non-zero standard deviation (the reference). */
  readonly first: ActivationReport;
  /** The depth tap whose standard deviation is largest relative to `first`. */
  readonly worst: ActivationReport;
  /** std(worst)/std(first). */
  readonly ratio: number;
  /** The depth taps above `activationGrowth` × std(first), input to output. */
  readonly grown: readonly ActivationReport[];
}

/**
 * std(h_k)/std(h_first) over the depth taps (`isDepthTap`: not recurrent step or attention taps),
 * leaving out normalization outputs (a name ending in `norm` or `normalization`, with tfjs-layers' numbering:
 * `batch_normalization_BatchNormalization1`; their scale is fixed by construction)
 * and non-finite statistics. Undefined with fewer than two such taps or a first one of std 0.
 * `grown` is empty when only the last tap, a linear one, is above the threshold: that is the output (a confident
 * classifier's logits, measured: std 22–30 against 0.2 at the input projection of a transformer
 * trained to a loss of 1e-6 by Muon), not a signal growing layer after layer.
 */
export function forwardGrowth(activations: readonly ActivationReport[], th: DiagnosticsThresholds): ForwardGrowth | undefined {
  const depth = activations.filter((a) => isDepthTap(a.name) && a.nonFinite === 0 && Number.isFinite(a.std) && !/norm(alization)?\d*$/i.test(a.name));
  const first = depth.find((a) => a.std > 0);
  if (first === undefined) return undefined;
  const later = depth.slice(depth.indexOf(first) + 1);
  if (later.length === 0) return undefined;
  const worst = later.reduce((a, b) => (b.std > a.std ? b : a));
  const grown = later.filter((a) => a.std > th.activationGrowth * first.std);
  // The last tap alone above the threshold, without an activation, is the output's scale: a
  // classifier's logits grow as it becomes confident (the loss falls towards 0), which is not a
  // signal growing with depth.
  const last = later[later.length - 1];
  const outputOnly = grown.length === 1 && grown[0] === last && last?.kind === 'linear';
  return { first, worst, ratio: worst.std / first.std, grown: outputOnly ? [] : grown };
}

/**
 * The `explodingActivations` finding (an error: verdict `exploding`) when a depth tap's standard
 * deviation exceeds `activationGrowth` × the first depth tap's.
 */
export function forwardFindings(growth: ForwardGrowth | undefined, th: DiagnosticsThresholds, remedies: Remedies): Finding[] {
  if (growth === undefined || growth.grown.length === 0) return [];
  const { first, worst, ratio, grown } = growth;
  const layers = grown.length;
  return [
    {
      kind: 'explodingActivations',
      severity: 'error',
      what: `the standard deviation of the activations grows ${fmt(ratio)}× from the first tapped layer ${first.name} (${fmt(first.std)}) to ${worst.name} (${fmt(worst.std)}), above activationGrowth = ${fmt(th.activationGrowth)} (${layers} tapped layer${layers === 1 ? '' : 's'} above it)`,
      where: `${first.name} … ${worst.name}`,
      why: 'a signal that grows at every layer explodes in the forward pass: the outputs saturate (a softmax turns one-hot, a clipped loss then has an exactly zero gradient), the gradients grow the same way, and values soon overflow to Infinity and NaN (He et al. 2015; Glorot & Bengio 2010).',
      toTry: remedies.exploding,
    },
  ];
}
