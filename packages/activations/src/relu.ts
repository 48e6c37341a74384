import * as tf from '@tensorflow/tfjs-core';
import { asFloat } from './internal.js';

/**
 * Rectified linear unit: relu(x) = max(x, 0), relu′(x) = 1 for x > 0 and 0 for x ≤ 0 (PyTorch's
 * convention at the kink: relu′(0) = 0, `threshold_backward`).
 *
 * PyTorch `torch.nn.functional.relu`; Nair & Hinton 2010. tfjs's own kernel and gradient
 * (`step(x)`) already follow this convention and are used as they are.
 *
 * @param x - any float tensor (ints are cast to float32).
 * @example
 * ```ts
 * relu(tf.tensor1d([-1, 0, 2])); // [0, 0, 2]
 * ```
 */
export function relu(x: tf.Tensor): tf.Tensor {
  const input = asFloat(x, 'relu');
  if (input === x) return tf.relu(x);
  const y = tf.relu(input);
  input.dispose();
  return y;
}
