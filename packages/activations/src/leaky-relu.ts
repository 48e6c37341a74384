import { checkNumberOption } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { asFloat } from './internal.js';

/**
 * Leaky ReLU: leakyRelu(x) = x for x > 0, αx otherwise; derivative 1 for x > 0, α for x ≤ 0
 * (PyTorch's `leaky_relu_backward`: the slope at the kink x = 0 is α).
 *
 * PyTorch `torch.nn.functional.leaky_relu(x, negative_slope=0.01)`; Maas et al. 2013. tfjs's kernel
 * and gradient follow the same convention and are used as they are.
 *
 * @param x - any float tensor.
 * @param alpha - the negative slope α (finite; default 0.01 as PyTorch).
 * @throws HyperParameterError (field `alpha`) when α is not a finite number.
 * @example
 * ```ts
 * leakyRelu(tf.tensor1d([-2, 3]), 0.1); // [-0.2, 3]
 * ```
 */
export function leakyRelu(x: tf.Tensor, alpha = 0.01): tf.Tensor {
  checkNumberOption('alpha', alpha);
  const input = asFloat(x, 'leakyRelu');
  if (input === x) return tf.leakyRelu(x, alpha);
  const y = tf.leakyRelu(input, alpha);
  input.dispose();
  return y;
}
