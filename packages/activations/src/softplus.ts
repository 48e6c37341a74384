import { checkNumberOption, checkOptions, optionOr } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { elementwise, sigmoidPair, softplusStable } from './internal.js';

/** Options of `softplus`. @example `{ beta: 2, threshold: 20 }` */
export interface SoftplusOptions {
  /** β > 0: softplus(x) = log(1 + e^{βx})/β (default 1). */
  readonly beta?: number;
  /** Above βx > threshold the function is the identity, as PyTorch (default 20). */
  readonly threshold?: number;
}

/**
 * Softplus: softplus(x) = log(1 + e^{βx})/β, and x itself where βx > threshold; derivative
 * σ(βx) = e^{βx}/(1 + e^{βx}), and 1 where βx > threshold (PyTorch's `softplus_backward`; at
 * βx = threshold exactly, the log branch).
 *
 * PyTorch `torch.nn.functional.softplus(x, beta=1, threshold=20)`; Dugas et al. 2001. The log branch
 * is computed as max(βx, 0) + log1p(e^{−|βx|}), which neither overflows (any threshold) nor loses the
 * tiny values for βx ≪ 0; σ comes from e^{−|βx|}.
 *
 * @param x - any float tensor.
 * @param options - `{ beta = 1, threshold = 20 }`.
 * @throws HyperParameterError (field `beta` or `threshold`) when β ≤ 0 or either is not a finite
 *   number; UnknownOptionError for any other option key.
 * @example
 * ```ts
 * softplus(tf.tensor1d([-1, 0, 30]));              // [0.3133, 0.6931, 30]
 * softplus(tf.tensor1d([1]), { beta: 2 });         // [1.0635]
 * ```
 */
export function softplus(x: tf.Tensor, options: SoftplusOptions = {}): tf.Tensor {
  const o = checkOptions('softplus', options, ['beta', 'threshold'], { example: 'softplus(x, { beta: 1, threshold: 20 })' });
  const beta = checkNumberOption('beta', optionOr('beta', o.beta, 1), { min: 0, minExclusive: true });
  const threshold = checkNumberOption('threshold', optionOr('threshold', o.threshold, 20));
  return elementwise(
    'softplus',
    (v) => {
      const z = tf.mul(v, beta);
      return tf.where(tf.greater(z, threshold), v, tf.div(softplusStable(z), beta));
    },
    (v) => {
      const z = tf.mul(v, beta);
      return tf.where(tf.greater(z, threshold), tf.onesLike(v), sigmoidPair(z).pos);
    },
  )(x);
}
