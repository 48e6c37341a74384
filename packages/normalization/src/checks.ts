import { checkNumberOption, checkOptions, describeValue, HyperParameterError, optionOr, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

const shapeOf = (shape: readonly number[]) => `[${shape.join(', ')}]`;
/**
 * The options object of a module's constructor, required and strictly checked: every key must be
 * one of `valid` (PyTorch's `num_features`, `eps` … suggest gradkit's names).
 */
export function moduleOptions<O extends object>(what: string, options: O, valid: readonly string[], example: string): O {
  return checkOptions(what, options, valid, { example, required: true });
}

/** The input of a normalization: a float32 tensor of at least `minRank` dimensions (`why` says what the axes are for). */
export function checkInput(fn: string, x: unknown, minRank: number, why: string): tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new ValueError('x', `${fn}: x must be a tf.Tensor, got ${describeValue(x)}`);
  if (x.isDisposed) throw new ValueError('x', `${fn}: x was disposed`);
  if (x.dtype !== 'float32') throw new ValueError('x', `${fn}: x must be float32, got ${x.dtype} (cast it with tf.cast(x, 'float32'))`);
  if (x.rank < minRank) throw new ValueError('x', `${fn}: x has shape ${shapeOf(x.shape)} but needs at least ${minRank} dimensions (${why})`);
  return x;
}

/** The `epsilon` option: `fallback` when absent, else a number > 0 (core's `checkNumberOption`; no schedule, normalization is not stepped). */
export function checkEpsilon(value: unknown, fallback: number): number {
  return checkNumberOption('epsilon', optionOr('epsilon', value, fallback), { min: 0, minExclusive: true });
}

/** A positive integer (a feature or group count). */
export function checkCount(field: string, value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new HyperParameterError(field, `${field} must be a positive integer (${what}), got ${describeValue(value)}`);
  return value;
}

/** A shape: a positive integer or an array of them (normalizedShape, features). */
export function checkShape(field: string, value: unknown, what: string): number[] {
  const dims = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(dims) || dims.length === 0 || !dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1))
    throw new HyperParameterError(
      field,
      `${field} must be a positive integer or a non-empty array of them (${what}), got ${Array.isArray(value) ? `[${value.map(describeValue).join(', ')}]` : describeValue(value)}`,
    );
  return dims as number[];
}

/** A boolean option: `fallback` when absent; `null` or a non-boolean is a HyperParameterError naming `field`. */
export function checkBoolean(field: string, value: unknown, fallback: boolean): boolean {
  const v = optionOr(field, value, fallback);
  if (typeof v !== 'boolean') throw new HyperParameterError(field, `${field} must be true or false, got ${describeValue(v)}`);
  return v;
}

/**
 * An optional affine parameter (gamma or beta): null/undefined, or a float32 tensor of exactly
 * `shape`. `axis` says which axis of x it must match, for the message.
 */
export function checkAffine(fn: string, field: string, value: unknown, shape: readonly number[], axis: string): tf.Tensor | null {
  if (value === null || value === undefined) return null;
  if (!(value instanceof tf.Tensor))
    throw new HyperParameterError(field, `${fn}: ${field} must be a tf.Tensor, null or undefined, got ${describeValue(value)}`);
  if (value.isDisposed) throw new HyperParameterError(field, `${fn}: ${field} was disposed`);
  if (value.dtype !== 'float32') throw new HyperParameterError(field, `${fn}: ${field} must be float32, got ${value.dtype}`);
  if (!tf.util.arraysEqual(value.shape, [...shape]))
    throw new HyperParameterError(
      field,
      `${fn}: ${field} has shape ${shapeOf(value.shape)} but x has ${shapeOf(shape)} ${axis}: pass ${field} of shape ${shapeOf(shape)}`,
    );
  return value;
}

/** y = x̂·γ + β with either part optional (broadcast over the leading axes). */
export function affine(xhat: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null): tf.Tensor {
  const scaled = gamma ? tf.mul(xhat, gamma) : xhat;
  return beta ? tf.add(scaled, beta) : scaled;
}

export { shapeOf };
