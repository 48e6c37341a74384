import type * as tf from '@tensorflow/tfjs-core';
import { eluFamily } from './internal.js';

/** SELU's α: PyTorch's 1.6732632423543772848170429916717 as a float64 (Klambauer et al. 2017). @example `SELU_ALPHA // 1.6732632423543772` */
export const SELU_ALPHA = 1.6732632423543772;
/** SELU's scale λ: PyTorch's 1.0507009873554804934193349852946 as a float64 (Klambauer et al. 2017). @example `SELU_SCALE // 1.0507009873554805` */
export const SELU_SCALE = 1.0507009873554805;

const op = eluFamily('selu', SELU_ALPHA, SELU_SCALE, 1);

/**
 * Scaled exponential linear unit: selu(x) = λx for x > 0, λα(eˣ − 1) otherwise, with
 * λ = 1.0507009873554805 and α = 1.6732632423543772; selu′(x) = λ for x > 0, λαeˣ for x ≤ 0
 * (λα ≈ 1.7581 at the kink x = 0, as PyTorch).
 *
 * PyTorch `torch.nn.functional.selu`; Klambauer et al. 2017 (self-normalizing networks). Pair it
 * with LeCun-normal initialisation (`gain('selu')` is PyTorch's 3/4 for the other initialisers).
 *
 * @param x - any float tensor.
 * @example
 * ```ts
 * selu(tf.tensor1d([-1, 1])); // [-1.1113, 1.0507]
 * ```
 */
export function selu(x: tf.Tensor): tf.Tensor {
  return op(x);
}
