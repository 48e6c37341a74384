import { checkNumberOption } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { eluFamily } from './internal.js';

/**
 * Exponential linear unit: elu(x) = x for x > 0, α(eˣ − 1) otherwise; elu′(x) = 1 for x > 0,
 * αeˣ for x ≤ 0 (PyTorch's `elu_backward` on the input: α at the kink x = 0).
 *
 * PyTorch `torch.nn.functional.elu(x, alpha=1.0)`; Clevert et al. 2016. tfjs's Elu has no α and
 * differentiates through its output (y + 1), which loses every digit of eˣ for x ≪ 0; this one
 * computes α·expm1(x) and αeˣ from the input.
 *
 * @param x - any float tensor.
 * @param alpha - α (finite; default 1).
 * @throws HyperParameterError (field `alpha`) when α is not a finite number.
 * @example
 * ```ts
 * elu(tf.tensor1d([-1, 2])); // [-0.6321, 2]
 * ```
 */
export function elu(x: tf.Tensor, alpha = 1): tf.Tensor {
  return eluFamily('elu', checkNumberOption('alpha', alpha), 1, 1)(x);
}
