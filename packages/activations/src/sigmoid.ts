import * as tf from '@tensorflow/tfjs-core';
import { elementwise, sigmoidPair } from './internal.js';

const op = elementwise(
  'sigmoid',
  (x) => sigmoidPair(x).pos,
  // σ′(x) = σ(x)σ(−x) = e/(1 + e)², e = e^{−|x|}: full relative precision in both tails.
  (x) => {
    const s = sigmoidPair(x);
    return tf.mul(s.pos, s.neg);
  },
);

/**
 * Logistic sigmoid: σ(x) = 1/(1 + e^{−x}), σ′(x) = σ(x)(1 − σ(x)).
 *
 * PyTorch `torch.sigmoid` / `torch.nn.functional.sigmoid`. Computed from e^{−|x|} (σ(|x|) = 1/(1+e),
 * σ(−|x|) = e/(1+e)), so no intermediate overflows (tfjs's WebGPU sigmoid evaluates 1/(1 + exp(−x)), which
 * passes through exp(1e4) = ∞) and σ′ = σ(x)σ(−x) keeps its digits where σ(x) rounds to 1.
 *
 * @param x - any float tensor.
 * @example
 * ```ts
 * sigmoid(tf.tensor1d([-1, 0, 1])); // [0.2689, 0.5, 0.7311]
 * ```
 */
export function sigmoid(x: tf.Tensor): tf.Tensor {
  return op(x);
}
