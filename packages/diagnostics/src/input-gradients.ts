// Gradient flow through time at the input of a sequence model: ‖∂L/∂xₜ‖ per time step t of a
// `[batch, time, features]` input, from tf.grad with respect to the input. It works for any model
// (tfjs-layers models cannot be tapped inside their recurrent layers), and it is what it says: the
// gradient reaching the input at step t, not the hidden state's ∂L/∂hₜ (∂L/∂xₜ = (∂hₜ/∂xₜ)ᵀ ∂L/∂hₜ, so
// with one input projection for every step it decays back in time as ∂L/∂hₜ does).
import * as tf from '@tensorflow/tfjs-core';
import type { Finding, TemporalProfile } from './report.js';
import { temporalFindings, temporalProfile } from './temporal.js';
import type { DiagnosticsThresholds } from './thresholds.js';

/**
 * ‖∂L/∂xₜ‖₂ for every time step t of `x` (`[batch, time, features]`): the gradient of the scalar
 * `loss(forward(x), y)` with respect to `x`, its norm over the batch and the features at each t.
 * Nothing is left allocated.
 */
export async function inputGradientNorms(
  forward: (x: tf.Tensor) => tf.Tensor,
  loss: (prediction: tf.Tensor, y: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  y: tf.Tensor,
): Promise<number[]> {
  const norms = tf.tidy(() => {
    const g = tf.grad((input: tf.Tensor) => loss(forward(input), y))(x);
    return tf.sqrt(tf.sum(tf.square(g), [0, 2]));
  });
  try {
    return Array.from(await norms.data());
  } finally {
    norms.dispose();
  }
}

/** tfjs-layers' recurrent layer classes (a wrapper such as Bidirectional holds one). */
const RECURRENT = /^(SimpleRNN|GRU|LSTM|RNN|ConvLSTM2D|Bidirectional)$/;

/** The name of a model's first recurrent layer (whose ∂L/∂xₜ profile speaks of gradient flow through time), if any. */
export function firstRecurrentLayer(layers: readonly { readonly name: string; getClassName(): string }[]): string | undefined {
  return layers.find((l) => RECURRENT.test(l.getClassName()))?.name;
}

/** tfjs-layers' gated recurrence, for a tfjs-layers model's finding (the temporal rule speaks @gradkit/nn). */
const GATED_LAYERS =
  "a gated recurrent layer in place of the SimpleRNN: tf.layers.lstm({ units }) or tf.layers.gru({ units }) (the LSTM's cell state carries the gradient across steps through its forget gate, Hochreiter & Schmidhuber 1997; Cho et al. 2014)";

/**
 * The through-time profile and findings of `norms` (‖∂L/∂xₜ‖ at t = 0, 1, …) for the input of the
 * recurrent layer `layer`, by the temporal rule (`timeVanishingRatio`, `timeExplodingRatio` on
 * ρ = ‖∂L/∂x_first‖/‖∂L/∂x_last‖): a profile `of: 'input'` named after the layer. `layersApi`: the
 * remedies in tfjs-layers' words.
 */
export function inputTemporal(
  layer: string,
  norms: readonly number[],
  thresholds: DiagnosticsThresholds,
  layersApi: boolean,
): { profile: TemporalProfile | undefined; findings: Finding[] } {
  const profile = temporalProfile(
    layer,
    norms.map((gradNorm, t) => ({ t, gradNorm })),
    'input',
  );
  if (profile === undefined) return { profile, findings: [] };
  const findings = temporalFindings({ thresholds }, [profile]).map((f) => ({
    ...f,
    why: `${f.why} Measured at the input: ∂L/∂xₜ = (∂hₜ/∂xₜ)ᵀ ∂L/∂hₜ, with the same input kernel at every step, so it changes back in time as ∂L/∂hₜ does.`,
    toTry: layersApi && f.kind === 'vanishingThroughTime' ? [GATED_LAYERS] : f.toTry,
  }));
  return { profile, findings };
}
