// Small helpers shared by the optimizers in this folder (not part of the public surface).
import { flatten, HyperParameterError, type HyperRange, type ParamTree, type Tree, zip } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** (0, ∞): learning rates, trust coefficients. */
export const POSITIVE: HyperRange = { min: 0, minExclusive: true };
/** [0, ∞): weight decay, momentum, offsets. */
export const NON_NEGATIVE: HyperRange = { min: 0 };
/** [0, 1): betas and smoothing constants whose value 1 would freeze an average at its initial zeros. */
export const UNIT_OPEN: HyperRange = { min: 0, max: 1, maxExclusive: true };
/** [0, 1]: decay rates where 1 is well defined (Adadelta's ρ = 1 is plain SGD). */
export const UNIT_CLOSED: HyperRange = { min: 0, max: 1 };

/**
 * Checks that `options` is an object (or absent when every option has a default).
 *
 * @throws HyperParameterError naming `options`, with an example call.
 */
export function requireOptions<O extends object>(name: string, options: O | undefined, example: string, optional: boolean): O {
  if (options === undefined && optional) return {} as O;
  if (options === null || typeof options !== 'object') throw new HyperParameterError('options', `${name} needs an options object, e.g. ${example}`);
  return options;
}

/** A boolean option with its default; anything else is a HyperParameterError naming `field`. */
export function checkFlag(field: string, value: unknown, fallback: boolean): boolean {
  const v = value ?? fallback;
  if (typeof v !== 'boolean') throw new HyperParameterError(field, `${field} must be true or false, got ${String(value)}`);
  return v;
}

/** A non-negative integer option (shape-related, so never a schedule); anything else is a HyperParameterError naming `field`. */
export function checkCount(field: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new HyperParameterError(field, `${field} must be an integer ≥ 0 (a number, not a schedule), got ${String(value)}`);
  return v;
}

/** The parameters, or a HyperParameterError naming `field` saying that `name` needs them. */
export function requireParams(name: string, params: ParamTree | undefined, why: string, field = 'params'): ParamTree {
  if (params === undefined || params === null) throw new HyperParameterError(field, `${name} ${why}: call update(grads, state, params)`);
  return params;
}

/** The tensors of `tree` in `flatten` order. */
export function leaves(tree: Tree<tf.Tensor>): tf.Tensor[] {
  return flatten(tree).map((e) => e.value);
}

/** The leaves of a state slot, paired with the gradients by path (throws TreeMismatchError when the structures differ). */
export function slotLeaves(grads: Tree<tf.Tensor>, slot: unknown): tf.Tensor[] {
  return zip(grads, slot as Tree<tf.Tensor>).map((e) => e.b);
}

/** ‖x‖₂ over every element of `x` (optax's `safe_norm(x, 0)`, the Frobenius norm for a matrix), as a scalar tensor. */
export function l2Norm(x: tf.Tensor): tf.Scalar {
  return tf.sqrt(tf.sum(tf.square(x))) as tf.Scalar;
}

/**
 * optax's `scale_by_trust_ratio` factor for one tensor (min_norm 0): c·‖θ‖ / (‖u‖ + ε), or 1 where
 * ‖θ‖ = 0 or ‖u‖ = 0, as a scalar tensor (nothing is read back).
 */
export function trustRatio(param: tf.Tensor, update: tf.Tensor, trustCoefficient: number, epsilon: number): tf.Scalar {
  const paramNorm = l2Norm(param);
  const updateNorm = l2Norm(update);
  const ratio = tf.div(tf.mul(paramNorm, trustCoefficient), tf.add(updateNorm, epsilon));
  const zeroNorm = tf.logicalOr(tf.equal(paramNorm, 0), tf.equal(updateNorm, 0));
  return tf.where(zeroNorm, tf.onesLike(ratio), ratio) as tf.Scalar;
}
