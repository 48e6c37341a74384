import * as tf from '@tensorflow/tfjs-core';
import { elementwise } from './internal.js';

const op = elementwise(
  'relu6',
  (x) => tf.minimum(tf.maximum(x, 0), 6),
  // hardtanh_backward(min 0, max 6): 0 where x ≤ 0 or x ≥ 6 (tfjs's Relu6 gradient is 1 at x = 6).
  (x) => tf.cast(tf.logicalAnd(tf.greater(x, 0), tf.less(x, 6)), 'float32'),
);

/**
 * ReLU capped at 6: relu6(x) = min(max(x, 0), 6); relu6′(x) = 1 for 0 < x < 6, else 0 (PyTorch's
 * `hardtanh_backward`, so 0 at both kinks x = 0 and x = 6).
 *
 * PyTorch `torch.nn.functional.relu6` (`hardtanh(x, 0, 6)`); Krizhevsky 2010, MobileNet. tfjs's
 * gradient is 1 at x = 6, so this one is written by hand.
 *
 * @param x - any float tensor.
 * @example
 * ```ts
 * relu6(tf.tensor1d([-1, 3, 9])); // [0, 3, 6]
 * ```
 */
export function relu6(x: tf.Tensor): tf.Tensor {
  return op(x);
}
