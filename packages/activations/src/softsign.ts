import * as tf from '@tensorflow/tfjs-core';
import { elementwise } from './internal.js';

const op = elementwise(
  'softsign',
  (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  (x) => tf.reciprocal(tf.square(tf.add(tf.abs(x), 1))),
);

/**
 * Softsign: softsign(x) = x/(1 + |x|), softsign′(x) = 1/(1 + |x|)² (1 at x = 0, as PyTorch's
 * autograd of `input / (input.abs() + 1)` gives with sgn(0) = 0).
 *
 * PyTorch `torch.nn.functional.softsign` (torch/nn/functional.py); Bergstra et al. 2009.
 *
 * @param x - any float tensor.
 * @example
 * ```ts
 * softsign(tf.tensor1d([-3, 0, 1])); // [-0.75, 0, 0.5]
 * ```
 */
export function softsign(x: tf.Tensor): tf.Tensor {
  return op(x);
}
