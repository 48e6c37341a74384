import * as tf from '@tensorflow/tfjs-core';
import { alongAxis } from './along-axis.js';

/**
 * Log-softmax along `axis`: logSoftmax(x)ᵢ = xᵢ − m − log Σⱼ exp(xⱼ − m), m = maxⱼ xⱼ: finite
 * wherever the logits are (log(softmax(x)) would give −∞ for a logit 1000 below the largest).
 * Gradient: ∂L/∂xᵢ = gᵢ − softmax(x)ᵢ Σⱼ gⱼ for the incoming gradient g.
 *
 * PyTorch `torch.nn.functional.log_softmax(x, dim=-1)`. Runs `tf.logSoftmax`, which computes exactly
 * this and has this closed-form gradient (a custom gradient from the saved output, no extra pass);
 * another axis is transposed to the end and back.
 *
 * @param x - a float tensor (int32 is cast) of rank ≥ 1.
 * @param axis - the axis to normalize over (default −1, the last; negative counts from the end).
 * @throws ValueError (what `x`) for a scalar or a non-numeric tensor; HyperParameterError (field
 *   `axis`) for an axis that is not an integer in [−rank, rank).
 * @example
 * ```ts
 * logSoftmax(tf.tensor1d([1, 2, 3]));        // [-2.4076, -1.4076, -0.4076]
 * logSoftmax(tf.tensor2d([[1000, -1000]]));  // [[0, -2000]]
 * ```
 */
export function logSoftmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return alongAxis('logSoftmax', x, axis, (v) => tf.logSoftmax(v));
}
