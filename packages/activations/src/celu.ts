import { checkNumberOption, HyperParameterError } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { eluFamily } from './internal.js';

/**
 * Continuously differentiable ELU: celu(x) = max(0, x) + min(0, α(e^{x/α} − 1)); celu′(x) = 1 for
 * x > 0, e^{x/α} for x ≤ 0 (1 at the kink, so the derivative is continuous).
 *
 * PyTorch `torch.nn.functional.celu(x, alpha=1.0)` (aten: `elu(x, α, scale 1, input_scale 1/α)`);
 * Barron 2017.
 *
 * @param x - any float tensor.
 * @param alpha - α (finite, not 0; default 1).
 * @throws HyperParameterError (field `alpha`) when α is 0 or not finite.
 * @example
 * ```ts
 * celu(tf.tensor1d([-1, 2]), 2); // [-0.7869, 2]
 * ```
 */
export function celu(x: tf.Tensor, alpha = 1): tf.Tensor {
  checkNumberOption('alpha', alpha);
  if (alpha === 0) throw new HyperParameterError('alpha', 'celu: alpha must not be 0 (celu divides x by alpha)');
  return eluFamily('celu', alpha, 1, 1 / alpha)(x);
}
