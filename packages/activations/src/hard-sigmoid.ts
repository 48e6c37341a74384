import * as tf from '@tensorflow/tfjs-core';
import { elementwise } from './internal.js';

const op = elementwise(
  'hardSigmoid',
  (x) => tf.div(tf.minimum(tf.maximum(tf.add(x, 3), 0), 6), 6),
  // hardsigmoid_backward: 1/6 for −3 < x < 3, else 0 (0 at both kinks).
  (x) => tf.mul(tf.cast(tf.logicalAnd(tf.greater(x, -3), tf.less(x, 3)), 'float32'), 1 / 6),
);

/**
 * Hard sigmoid: hardSigmoid(x) = relu6(x + 3)/6 = min(max(x + 3, 0), 6)/6; derivative 1/6 for
 * −3 < x < 3, else 0 (0 at the kinks ±3, PyTorch's `hardsigmoid_backward`).
 *
 * PyTorch `torch.nn.functional.hardsigmoid` (MobileNetV3's h-sigmoid; Howard et al. 2019). Not
 * tfjs-layers' `hardSigmoid`, which is clip(0.2x + 0.5, 0, 1).
 *
 * @param x - any float tensor.
 * @example
 * ```ts
 * hardSigmoid(tf.tensor1d([-4, 0, 1.5])); // [0, 0.5, 0.75]
 * ```
 */
export function hardSigmoid(x: tf.Tensor): tf.Tensor {
  return op(x);
}
