// Argument checks and the reduction shared by the losses (not part of the public surface).
import { describeValue, HyperParameterError, optionOr, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** How a loss reduces its per-element (or per-position) losses, as PyTorch's `reduction`. @example `'mean'` */
export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/** `[2, 3]` for messages. */
export const shapeOf = (t: tf.Tensor): string => `[${t.shape.join(', ')}]`;

/** `value` as a live tensor, else ValueError naming `field`. */
export function checkTensor(fn: string, field: string, value: unknown): tf.Tensor {
  if (!(value instanceof tf.Tensor)) throw new ValueError(field, `${fn}: ${field} must be a tf.Tensor, got ${describeValue(value)}`);
  if (value.isDisposed) throw new ValueError(field, `${fn}: ${field} was already disposed`);
  return value;
}

/** `value` as a live float32 tensor, else ValueError naming `field` (losses are float functions of float inputs, as PyTorch's). */
export function checkFloat(fn: string, field: string, value: unknown): tf.Tensor {
  const t = checkTensor(fn, field, value);
  if (t.dtype !== 'float32')
    throw new ValueError(field, `${fn}: ${field} must be a float32 tensor, got dtype '${t.dtype}' (cast it: tf.cast(${field}, 'float32'))`);
  return t;
}

/**
 * Checks that `other` has exactly the shape of `ref`. No broadcasting: a `[batch]` target against a
 * `[batch, 1]` prediction would silently give a `[batch, batch]` loss.
 */
export function checkSameShape(fn: string, refField: string, ref: tf.Tensor, field: string, other: tf.Tensor): void {
  if (ref.shape.length === other.shape.length && ref.shape.every((d, i) => d === other.shape[i])) return;
  const hint =
    ref.size === other.size
      ? ` (same number of elements: reshape ${field} with tf.reshape(${field}, ${refField}.shape); broadcasting them would silently compare every pair)`
      : '';
  throw new ValueError(field, `${fn}: ${field} has shape ${shapeOf(other)} but ${refField} has shape ${shapeOf(ref)}; they must match exactly${hint}`);
}

/** The `reduction` option (default `'mean'`), else HyperParameterError naming `reduction`. */
export function checkReduction(fn: string, value: unknown): Reduction {
  const r = optionOr('reduction', value, 'mean');
  if (typeof r !== 'string' || !(REDUCTIONS as readonly string[]).includes(r))
    throw new HyperParameterError('reduction', `${fn}: reduction must be 'mean', 'sum' or 'none', got ${describeValue(r)}`);
  return r as Reduction;
}

/** The mean, the sum, or the losses themselves. */
export function reduce(losses: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'mean') return tf.mean(losses);
  if (reduction === 'sum') return tf.sum(losses);
  return losses;
}
