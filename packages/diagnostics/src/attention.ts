// Attention statistics and the attention-logit-growth finding: from an attention layer's taps
// `<layer>.probs` (the entropy of its weights, computed on the device, see stats.ts) and
// `<layer>.logits` (the scale of the scaled pre-softmax scores). Pure host code.

import { fmt } from './format-number.js';
import { attentionLogitRemedies } from './remedies-sequence.js';
import type { ActivationReport, AttentionStats, Finding } from './report.js';
import type { DiagnoseInput } from './rules.js';
import { attentionTap } from './tap-names.js';

/**
 * What the observation adds to `DiagnoseInput` for the attention rules: the mean entropy of each
 * `.probs` tap, −Σ p ln p / Σ p over its rows (nats), computed on the device with the other statistics.
 */
export interface AttentionInput {
  readonly probsEntropy?: ReadonlyMap<string, number>;
}

/** max |x| over the finite values of a tap (its min and max are over the finite values). */
const maxAbs = (a: ActivationReport) => Math.max(Math.abs(a.max), Math.abs(a.min));

/**
 * The statistics of one attention layer from its `.probs` report (entropy: the device's mean
 * −Σ p ln p per row; maxEntropy = ln(keys), keys = the last axis) and its `.logits` report (max |logit|
 * over the finite values; std when every value is finite).
 */
export function attentionLayerStats(
  layer: string,
  probs: ActivationReport | undefined,
  entropy: number | undefined,
  logits: ActivationReport | undefined,
): AttentionStats {
  const out: { -readonly [K in keyof AttentionStats]: AttentionStats[K] } = { layer };
  if (probs !== undefined && entropy !== undefined) {
    out.entropy = entropy;
    out.maxEntropy = Math.log(probs.units);
  }
  if (logits !== undefined) {
    out.logitMaxAbs = maxAbs(logits);
    if (logits.nonFinite === 0) out.logitStd = logits.std;
  }
  return out;
}

/** One `AttentionStats` per attention layer among the taps (in order of first appearance); undefined when there is none. */
export function attentionStats(input: Pick<DiagnoseInput, 'activations'> & AttentionInput): AttentionStats[] | undefined {
  const layers = new Map<string, { probs?: ActivationReport; logits?: ActivationReport }>();
  for (const a of input.activations) {
    const t = attentionTap(a.name);
    if (t === undefined) continue;
    layers.set(t.layer, { ...layers.get(t.layer), [t.part]: a });
  }
  if (layers.size === 0) return undefined;
  return [...layers].map(([layer, { probs, logits }]) =>
    attentionLayerStats(layer, probs, probs === undefined ? undefined : input.probsEntropy?.get(probs.name), logits),
  );
}

/** entropy / ln(keys): 1 for uniform attention, 0 when every query attends to one key (undefined without both, or with one key). */
export function entropyFraction(a: AttentionStats): number | undefined {
  return a.entropy === undefined || a.maxEntropy === undefined || !(a.maxEntropy > 0) ? undefined : a.entropy / a.maxEntropy;
}

const WHY =
  'when the pre-softmax logits grow, the softmax saturates: each query puts almost all its weight on one key (the entropy collapses towards 0), the gradient through the softmax vanishes for the other keys, and training turns unstable or diverges (Dehghani et al. 2023; Wortsman et al. 2023; Zhai et al. 2023).';

/** The `attentionLogitGrowth` findings (errors): an attention layer whose max |logit| exceeds `attentionLogitMax`. */
export function attentionFindings(
  input: Pick<DiagnoseInput, 'activations' | 'thresholds'>,
  stats: readonly AttentionStats[] | undefined,
  _remedies?: unknown,
): Finding[] {
  const th = input.thresholds;
  const taps = input.activations.map((a) => a.name);
  return (stats ?? []).flatMap((s): Finding[] => {
    if (s.logitMaxAbs === undefined || !(s.logitMaxAbs > th.attentionLogitMax)) return [];
    const entropy =
      s.entropy === undefined
        ? ''
        : `; the attention entropy is ${fmt(s.entropy)} nats of at most ${fmt(s.maxEntropy)} (${fmt(entropyFraction(s))} of uniform)`;
    return [
      {
        kind: 'attentionLogitGrowth',
        severity: 'error',
        what: `the attention logits of ${s.layer} reach |logit| = ${fmt(s.logitMaxAbs)}${s.logitStd === undefined ? '' : ` (std ${fmt(s.logitStd)})`}, above attentionLogitMax = ${fmt(th.attentionLogitMax)}${entropy}`,
        where: s.layer,
        why: WHY,
        toTry: attentionLogitRemedies(s.layer, taps),
      },
    ];
  });
}
