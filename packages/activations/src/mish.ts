import * as tf from '@tensorflow/tfjs-core';
import { elementwise, sigmoidPair } from './internal.js';

/**
 * t = tanh(softplus(x)) and 1 − t, exactly and without overflow: with n = eˣ,
 * tanh(log(1 + n)) = n(n + 2)/(n(n + 2) + 2), so 1 − t = 2/(n(n + 2) + 2). x is capped at 20, where
 * t is 1 in float32 (1 − t ≈ 1e-17); no log1p or 1 − t² cancellation for any x.
 */
function tanhSoftplus(x: tf.Tensor): { t: tf.Tensor; oneMinusT: tf.Tensor } {
  const n = tf.exp(tf.minimum(x, 20));
  const d = tf.mul(n, tf.add(n, 2));
  const denominator = tf.add(d, 2);
  return { t: tf.div(d, denominator), oneMinusT: tf.div(2, denominator) };
}

const op = elementwise(
  'mish',
  (x) => tf.mul(x, tanhSoftplus(x).t),
  // PyTorch's mish_backward: t + x·σ(x)·(1 − t²), with 1 − t² = (1 − t)(1 + t).
  (x) => {
    const { t, oneMinusT } = tanhSoftplus(x);
    const oneMinusT2 = tf.mul(oneMinusT, tf.add(t, 1));
    return tf.add(t, tf.mul(tf.mul(x, sigmoidPair(x).pos), oneMinusT2));
  },
);

/**
 * Mish: mish(x) = x·tanh(softplus(x)); mish′(x) = t + x·σ(x)(1 − t²) with t = tanh(softplus(x)).
 *
 * PyTorch `torch.nn.functional.mish` (aten `mish_backward`); Misra 2019. Computed through
 * t = n(n+2)/(n(n+2)+2), n = eˣ, which is exact for x ≪ 0 and finite for any x.
 *
 * @param x - any float tensor.
 * @example
 * ```ts
 * mish(tf.tensor1d([-1, 0, 1])); // [-0.3034, 0, 0.8651]
 * ```
 */
export function mish(x: tf.Tensor): tf.Tensor {
  return op(x);
}
