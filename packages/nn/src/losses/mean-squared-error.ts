import { checkOptions } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkFloat, checkReduction, checkSameShape, type Reduction, reduce } from './check.js';

/** Options of `meanSquaredError`. @example `{ reduction: 'sum' }` */
export interface MeanSquaredErrorOptions {
  /** `'mean'` over every element (default), `'sum'`, or `'none'`: the squared errors, of `pred`'s shape. */
  readonly reduction?: Reduction;
}

/**
 * Mean squared error: (1/n) Σᵢ (predᵢ − targetᵢ)² over every element (or `reduction`). Gradients
 * 2(pred − target)/n and its negative for the target, from tfjs's own `sub`/`square`/`mean`.
 *
 * PyTorch `torch.nn.functional.mse_loss(input, target, reduction='mean')`, Keras `MeanSquaredError`.
 * Unlike PyTorch, which broadcasts with a warning, the shapes must match exactly: a `[batch]` target
 * against a `[batch, 1]` prediction would broadcast to `[batch, batch]` and train on every pair.
 *
 * @param pred - float32 predictions of any shape.
 * @param target - float32 targets of `pred`'s shape.
 * @param options - `{ reduction = 'mean' }`.
 * @returns a scalar (`'mean'`, `'sum'`), or the squared errors (`'none'`).
 * @throws ValueError (what `pred` or `target`) for a non-float32 tensor or a shape mismatch;
 *   HyperParameterError (field `reduction`) for an unknown reduction; UnknownOptionError for other keys.
 * @example
 * ```ts
 * meanSquaredError(tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 0, 4])); // (0 + 4 + 1)/3 = 1.6667
 * ```
 */
export function meanSquaredError(pred: tf.Tensor, target: tf.Tensor, options?: MeanSquaredErrorOptions & { readonly reduction?: 'mean' | 'sum' }): tf.Scalar;
/**
 * `meanSquaredError` with `reduction: 'none'`: the elementwise losses, unreduced (see the scalar overload for the formula).
 *
 * @example
 * ```ts
 * meanSquaredError(pred, target, { reduction: 'none' }); // squared errors
 * ```
 */
export function meanSquaredError(pred: tf.Tensor, target: tf.Tensor, options: MeanSquaredErrorOptions): tf.Tensor;
export function meanSquaredError(pred: tf.Tensor, target: tf.Tensor, options: MeanSquaredErrorOptions = {}): tf.Tensor {
  const fn = 'meanSquaredError';
  const o = checkOptions(fn, options, ['reduction'], { example: `${fn}(pred, target, { reduction: 'sum' })` });
  const reduction = checkReduction(fn, o.reduction);
  const p = checkFloat(fn, 'pred', pred);
  const t = checkFloat(fn, 'target', target);
  checkSameShape(fn, 'pred', p, 'target', t);
  return tf.tidy(() => reduce(tf.square(tf.sub(p, t)), reduction));
}
