import * as tf from '@tensorflow/tfjs-core';
import { alongAxis } from './along-axis.js';

/**
 * Softmax along `axis`: softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m), m = maxⱼ xⱼ (subtracting the
 * maximum changes nothing mathematically and keeps every exponent ≤ 0, so logits of ±1000 neither
 * overflow nor give NaN). Gradient: ∂L/∂xᵢ = yᵢ(gᵢ − Σⱼ gⱼyⱼ) for the incoming gradient g.
 *
 * PyTorch `torch.nn.functional.softmax(x, dim=-1)`; Keras `activation: 'softmax'`. Runs tfjs's
 * `Softmax` kernel, which subtracts the maximum on cpu, wasm and webgpu, and its registered gradient,
 * which is the exact closed form above; another axis is transposed to the end and back. To train a
 * classifier, do not put softmax before `softmaxCrossEntropy` (from `@gradkit/nn`), which takes logits.
 *
 * @param x - a float tensor (int32 is cast) of rank ≥ 1.
 * @param axis - the axis to normalize over (default −1, the last; negative counts from the end).
 * @throws ValueError (what `x`) for a scalar or a non-numeric tensor; HyperParameterError (field
 *   `axis`) for an axis that is not an integer in [−rank, rank).
 * @example
 * ```ts
 * softmax(tf.tensor1d([1, 2, 3]));          // [0.0900, 0.2447, 0.6652]
 * softmax(tf.tensor2d([[1000, -1000]]));    // [[1, 0]]
 * softmax(tf.tensor2d([[1, 2], [3, 5]]), 0); // columns sum to 1
 * ```
 */
export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return alongAxis('softmax', x, axis, (v) => tf.softmax(v));
}
