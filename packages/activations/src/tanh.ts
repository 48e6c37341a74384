import * as tf from '@tensorflow/tfjs-core';
import { elementwise } from './internal.js';

const op = elementwise(
  'tanh',
  (x) => tf.tanh(x),
  // tanh′(x) = 1 − tanh²(x) = 4e/(1 + e)², e = e^{−2|x|}: no cancellation where tanh(x) rounds to ±1.
  (x) => {
    const e = tf.exp(tf.mul(tf.abs(x), -2));
    return tf.div(tf.mul(e, 4), tf.square(tf.add(e, 1)));
  },
);

/**
 * Hyperbolic tangent: tanh(x), tanh′(x) = 1 − tanh²(x).
 *
 * PyTorch `torch.tanh`. The value is tfjs's kernel (stable on every backend); the derivative is
 * computed as 4e^{−2|x|}/(1 + e^{−2|x|})², which keeps its relative precision where tanh(x) is ±1
 * in float32 (tfjs's 1 − y² is 0 there).
 *
 * @param x - any float tensor.
 * @example
 * ```ts
 * tanh(tf.tensor1d([-1, 0, 1])); // [-0.7616, 0, 0.7616]
 * ```
 */
export function tanh(x: tf.Tensor): tf.Tensor {
  return op(x);
}
