import * as tf from '@tensorflow/tfjs-core';
import { elementwise } from './internal.js';

const op = elementwise(
  'hardSwish',
  (x) => tf.div(tf.mul(x, tf.minimum(tf.maximum(tf.add(x, 3), 0), 6)), 6),
  // PyTorch's CPU hardswish_backward: 0 for x ≤ −3, x/3 + ½ for −3 < x < 3, 1 for x ≥ 3.
  (x) => {
    const middle = tf.add(tf.div(x, 3), 0.5);
    return tf.where(tf.lessEqual(x, -3), tf.zerosLike(x), tf.where(tf.less(x, 3), middle, tf.onesLike(x)));
  },
);

/**
 * Hard swish: hardSwish(x) = x·relu6(x + 3)/6; derivative 0 for x ≤ −3, x/3 + ½ for −3 < x < 3, and
 * 1 for x ≥ 3 — PyTorch's CPU kernel (`hardswish_backward`, aten/src/ATen/native/cpu/Activation.cpp):
 * 0 at x = −3 and 1 at x = 3. (PyTorch's CUDA kernel takes the inner branch at the kinks instead,
 * −½ and 1.5; tfjs has no hard swish.)
 *
 * PyTorch `torch.nn.functional.hardswish`; Howard et al. 2019 (MobileNetV3).
 *
 * @param x - any float tensor.
 * @example
 * ```ts
 * hardSwish(tf.tensor1d([-4, 1, 4])); // [0, 0.6667, 4]
 * ```
 */
export function hardSwish(x: tf.Tensor): tf.Tensor {
  return op(x);
}
