// The pictures of the sequence tasks when the diagnostics build does not give them: the gradient flow
// through time from a report's step taps (`<layer>.t<k>` with ‖∂L/∂hₜ‖), and the attention entropy
// from the `.probs` taps of a forward pass. A report's own `temporal` / `attention` win when present.
import type { Taps } from '@gradkit/core';
import type { ActivationReport, AttentionStats, GradientReport, TemporalProfile } from '@gradkit/diagnostics';
import * as tf from '@tensorflow/tfjs-core';

const STEP_TAP = /^(.*)\.t(\d+)$/;
const PROBS_TAP = /^(.*)\.probs$/;

/**
 * Per recurrent layer (in the order its first step tap appears), ‖∂L/∂hₜ‖ over t ascending, from
 * the step taps that carry a gradient norm, with the first/last ratio and the decay per step.
 */
export function temporalFromActivations(activations: readonly ActivationReport[]): TemporalProfile[] {
  const layers = new Map<string, [number, number][]>();
  for (const a of activations) {
    const m = STEP_TAP.exec(a.name);
    if (!m || a.gradNorm === undefined) continue;
    const layer = m[1] as string;
    const points = layers.get(layer) ?? [];
    points.push([Number(m[2]), a.gradNorm]);
    layers.set(layer, points);
  }
  return [...layers].map(([layer, points]) => {
    points.sort((a, b) => a[0] - b[0]);
    const gradNorm = points.map(([, g]) => g);
    const first = gradNorm[0] as number;
    const last = gradNorm[gradNorm.length - 1] as number;
    const ratio = last > 0 && Number.isFinite(first) && Number.isFinite(last) ? first / last : undefined;
    return {
      layer,
      steps: points.map(([t]) => t),
      gradNorm,
      ...(ratio === undefined ? {} : { firstLastRatio: ratio }),
      ...(ratio === undefined || gradNorm.length < 2 ? {} : { decayPerStep: ratio ** (1 / (gradNorm.length - 1)) }),
    };
  });
}

/** The report's own temporal profiles, else those of its step taps (undefined without step taps). */
export function temporalOf(report: GradientReport): readonly TemporalProfile[] | undefined {
  if (report.temporal !== undefined) return report.temporal;
  const found = temporalFromActivations(report.activations);
  return found.length > 0 ? found : undefined;
}

/**
 * The attention entropy of every `<layer>.probs` tap (`[batch, heads, query, key]`): the mean over
 * batch, heads and queries of −Σ p log p (nats, 0·log 0 = 0), and log(keys), the entropy of uniform
 * attention. One readback; disposes nothing of `taps`.
 */
export async function attentionFromTaps(taps: Taps): Promise<AttentionStats[]> {
  const layers: { layer: string; keys: number }[] = [];
  const entropies: tf.Scalar[] = [];
  for (const [name, record] of Object.entries(taps)) {
    const m = PROBS_TAP.exec(name);
    if (!m) continue;
    const p = record.activation;
    layers.push({ layer: m[1] as string, keys: p.shape[p.rank - 1] as number });
    entropies.push(tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(p, tf.log(tf.maximum(p, 1e-30))), -1))) as tf.Scalar));
  }
  if (entropies.length === 0) return [];
  const stacked = tf.stack(entropies);
  tf.dispose(entropies);
  try {
    const values = await stacked.data();
    return layers.map(({ layer, keys }, i) => ({ layer, entropy: values[i] as number, maxEntropy: Math.log(keys) }));
  } finally {
    stacked.dispose();
  }
}

/**
 * The report's attention statistics, with the entropy of `computed` (from `attentionFromTaps`) for
 * each layer whose own entropy is missing or not finite; `computed` alone when the report has none.
 */
export function mergeAttention(
  fromReport: readonly AttentionStats[] | undefined,
  computed: readonly AttentionStats[] | undefined,
): readonly AttentionStats[] | undefined {
  if (fromReport === undefined) return computed;
  return fromReport.map((a) => {
    const ours = computed?.find((c) => c.layer === a.layer);
    return Number.isFinite(a.entropy) || ours === undefined ? a : { ...a, entropy: ours.entropy, maxEntropy: ours.maxEntropy };
  });
}
