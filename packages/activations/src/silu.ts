import * as tf from '@tensorflow/tfjs-core';
import { elementwise, sigmoidPair } from './internal.js';

const op = elementwise(
  'silu',
  (x) => tf.mul(x, sigmoidPair(x).pos),
  // PyTorch's silu_backward: σ(x)(1 + x(1 − σ(x))), with 1 − σ(x) = σ(−x) computed without cancellation.
  (x) => {
    const s = sigmoidPair(x);
    return tf.mul(s.pos, tf.add(1, tf.mul(x, s.neg)));
  },
);

/**
 * Sigmoid linear unit: silu(x) = x·σ(x), silu′(x) = σ(x)(1 + x(1 − σ(x))).
 *
 * PyTorch `torch.nn.functional.silu`; Elfwing et al. 2018, Hendrycks & Gimpel 2016 (also called
 * swish with β = 1, see `swish`). σ is computed from e^{−|x|}, so values and gradients are finite and
 * exact at ±1e4 on every backend, with no intermediate overflow.
 *
 * @param x - any float tensor.
 * @example
 * ```ts
 * silu(tf.tensor1d([-1, 0, 1])); // [-0.2689, 0, 0.7311]
 * ```
 */
export function silu(x: tf.Tensor): tf.Tensor {
  return op(x);
}
