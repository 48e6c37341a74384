import * as tf from '@tensorflow/tfjs-core';
import { asFloat, broadcastParam } from './internal.js';

/**
 * Parametric ReLU: prelu(x) = x for x > 0, αx otherwise, with a learnable slope α (a scalar or one
 * slope per feature, broadcast against x: features are the last axis in tfjs, so α of shape `[C]`
 * applies per channel of `[…, C]`). ∂/∂x = 1 for x > 0, α for x ≤ 0; ∂/∂α = x for x ≤ 0, else 0
 * (summed over the broadcast axes) — PyTorch's `prelu` backward, slope α at the kink.
 *
 * PyTorch `torch.nn.functional.prelu(input, weight)` / `nn.PReLU(init=0.25)`; He et al. 2015.
 * tfjs's kernel and gradients follow the same convention and are used as they are.
 *
 * @param x - any float tensor.
 * @param alpha - the slope: a tensor broadcastable to x (a variable to train it), or a number.
 * @throws ValueError (what `alpha`) when a tensor α does not broadcast against x.
 * @throws HyperParameterError (field `alpha`) when a number α is not finite.
 * @example
 * ```ts
 * const alpha = tf.variable(tf.fill([16], 0.25)); // one slope per feature, as nn.PReLU(16)
 * const y = prelu(h, alpha);                      // h: [batch, 16]
 * ```
 */
export function prelu(x: tf.Tensor, alpha: tf.Tensor | number): tf.Tensor {
  return tf.tidy(() => {
    const input = asFloat(x, 'prelu');
    return tf.prelu(input, broadcastParam('alpha', alpha, input, 'prelu'));
  });
}
