// Runs a last-axis op (tf.softmax, tf.logSoftmax) along any axis (not part of the public surface).
import { describeValue, HyperParameterError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { asFloat } from './internal.js';

/**
 * `op` applied along `axis` of `x` (negative counts from the end): `x` as float32, moved so that
 * `axis` is last, `op`, and moved back. tfjs's softmax and logSoftmax work on the last axis only;
 * a transpose is differentiable, so their gradients carry over.
 *
 * @throws ValueError (what `x`) for a non-tensor, a disposed or string tensor, or a scalar;
 *   HyperParameterError (field `axis`) for an axis that is not an integer in [−rank, rank).
 */
export function alongAxis(fn: string, x: tf.Tensor, axis: number, op: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  // Inside tidy: the float32 copy of an int input is released, also when a check throws.
  return tf.tidy(() => {
    const input = asFloat(x, fn);
    const rank = input.rank;
    if (rank === 0) throw new ValueError('x', `${fn}: x is a scalar; it needs at least one axis to normalize over (e.g. tf.tensor1d([...]))`);
    if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank)
      throw new HyperParameterError('axis', `${fn}: axis must be an integer in [${-rank}, ${rank}) for x of rank ${rank}, got ${describeValue(axis)}`);
    const last = rank - 1;
    const a = axis < 0 ? axis + rank : axis;
    if (a === last) return op(input);
    // Swapping axis a and the last axis is its own inverse.
    const perm = [...Array(rank).keys()].map((i) => (i === a ? last : i === last ? a : i));
    return tf.transpose(op(tf.transpose(input, perm)), perm);
  });
}
