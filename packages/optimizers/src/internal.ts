// Helpers shared by the transformations in this folder (not part of the public API: index.ts does not
// export them): the ranges of their options, the checks of non-numeric options, and tree plumbing.
import {
  checkSameTensorType,
  flatten,
  type GradTree,
  HyperParameterError,
  type HyperRange,
  map,
  type ParamTree,
  type Tree,
  unflatten,
  zip,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** (0, ∞): learning rates, epsilons, trust coefficients. */
export const POSITIVE: HyperRange = { min: 0, minExclusive: true };
/** [0, ∞): weight decays, momenta, decay rates, epsilonRoot. */
export const NON_NEGATIVE: HyperRange = { min: 0 };
/** [0, 1): betas and smoothing constants (as PyTorch checks them): 1 would freeze an average at its initial zeros. */
export const UNIT_OPEN: HyperRange = { min: 0, max: 1, maxExclusive: true };
/** [0, 1]: where 1 is well defined (Adadelta's ρ = 1 is plain SGD; SGD's dampening). */
export const UNIT_CLOSED: HyperRange = { min: 0, max: 1 };

/**
 * The options object given to the factory `name`: `{}` when it is absent and every option has a
 * default (`optional`), else it must be an object.
 *
 * @throws HyperParameterError naming `options`, with an example call.
 */
export function optionsOf<O extends object>(name: string, options: O | undefined, example: string, optional = true): O {
  if (options === undefined && optional) return {} as O;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new HyperParameterError('options', `${name} needs an options object, e.g. ${example}, got ${String(options)}`);
  }
  return options;
}

/** A boolean option with its default (checkHyper only knows numbers and schedules); anything else is a HyperParameterError naming `field`. */
export function flag(field: string, value: unknown, fallback: boolean): boolean {
  const v = value ?? fallback;
  if (typeof v !== 'boolean') throw new HyperParameterError(field, `${field} must be true or false, got ${String(v)}`);
  return v;
}

/** A non-negative integer option (shape-related, so never a schedule); anything else is a HyperParameterError naming `field`. */
export function checkCount(field: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new HyperParameterError(field, `${field} must be an integer ≥ 0 (a number, not a schedule), got ${String(value)}`);
  return v;
}

/** The parameters, or a HyperParameterError naming `field` that says `${name} ${why}`. */
export function requireParams(name: string, params: ParamTree | undefined, why: string, field = 'params'): ParamTree {
  if (params === undefined || params === null) throw new HyperParameterError(field, `${name} ${why}: call update(grads, state, params)`);
  return params;
}

/**
 * The parameter tensors in the gradients' order when a weight decay needs them (`weightDecay` ≠ 0),
 * else `[]`; missing parameters are a HyperParameterError naming `weightDecay` that says `${name} ${why}`.
 */
export function decayedParams(
  name: string,
  grads: GradTree,
  params: ParamTree | undefined,
  weightDecay: number,
  why = 'with weightDecay needs the parameters',
): tf.Tensor[] {
  return weightDecay === 0 ? [] : slotLeaves(grads, requireParams(name, params, why, 'weightDecay'));
}

/** The `why` of `decayedParams` in the Adam family (adam, adamw, adamax, nadam, radam). */
export const NON_ZERO_DECAY = 'with a non-zero weightDecay needs the parameters';

/** A tree of zeros shaped like `params`: a fresh per-parameter state slot. */
export const zerosLike = (params: ParamTree): Tree<tf.Tensor> => map(params, (p) => tf.zerosLike(p));

/** A fresh state: `count` 0 and a tree of zeros shaped like `params` for each slot named. */
export function zeroState<S extends string>(params: ParamTree, ...slots: S[]): { count: number } & Record<S, Tree<tf.Tensor>> {
  return { count: 0, ...Object.fromEntries(slots.map((s) => [s, zerosLike(params)])) } as { count: number } & Record<S, Tree<tf.Tensor>>;
}

/** The slots `names` of a state, for `stepLeaves`. */
export const slotsOf = <S extends string>(state: object, names: readonly S[]): Record<S, Tree<tf.Tensor>> =>
  Object.fromEntries(names.map((k) => [k, (state as Record<string, unknown>)[k]])) as Record<S, Tree<tf.Tensor>>;

/** The tensors of `tree` in `flatten` order. */
export const leaves = (tree: Tree<tf.Tensor>): tf.Tensor[] => flatten(tree).map((e) => e.value);

/** The leaves of a state slot, paired with the gradients by path (a TreeMismatchError when the structures differ). */
export function slotLeaves(grads: GradTree, slot: unknown): tf.Tensor[] {
  return zip(grads, slot as Tree<tf.Tensor>).map((e) => e.b);
}

/**
 * The gradient tensors in `flatten` order, checked against a state slot built from the parameters
 * (same structure, shapes and dtypes), so that a mismatch is a TreeMismatchError naming the path
 * instead of a silent broadcast.
 */
export function gradLeaves(grads: GradTree, like: Tree<tf.Tensor>): tf.Tensor[] {
  return zip(like, grads).map(({ path, a, b }) => {
    checkSameTensorType(path, a, b, 'gradient');
    return b;
  });
}

/** What the per-leaf `step` of `stepLeaves` returns: the leaf's update and its new slot tensors. */
export interface LeafStep<S extends string> {
  readonly update: tf.Tensor;
  readonly slots: Readonly<Partial<Record<S, tf.Tensor>>>;
}

/**
 * Runs `step` on every gradient leaf (in `flatten` order) with that leaf's tensor of each state slot
 * given, and gathers the updates and the new slots (the same slots as given) into trees shaped like
 * the gradients. Slots are paired with the gradients by path (a TreeMismatchError when the structures
 * differ); `gradTensors` are the gradient leaves to use (default: as they are; `gradLeaves` checks
 * their shapes too).
 */
export function stepLeaves<S extends string>(
  grads: GradTree,
  slots: Readonly<Partial<Record<S, Tree<tf.Tensor>>>>,
  step: (grad: tf.Tensor, slots: Readonly<Record<S, tf.Tensor>>, i: number) => LeafStep<S>,
  gradTensors: readonly tf.Tensor[] = leaves(grads),
): { updates: GradTree; slots: Partial<Record<S, Tree<tf.Tensor>>> } {
  const names = Object.keys(slots) as S[];
  const given = names.map((k) => slotLeaves(grads, slots[k]));
  const next = names.map((): tf.Tensor[] => []);
  const updates = gradTensors.map((g, i) => {
    const r = step(g, Object.fromEntries(names.map((k, j) => [k, given[j]?.[i]])) as Record<S, tf.Tensor>, i);
    for (const [j, k] of names.entries()) next[j]?.push(r.slots[k] as tf.Tensor);
    return r.update;
  });
  return {
    updates: unflatten(grads, updates),
    slots: Object.fromEntries(names.map((k, j) => [k, unflatten(grads, next[j] as tf.Tensor[])])) as Record<S, Tree<tf.Tensor>>,
  };
}

/** An exponential moving average: avg·decay + x·(1 − decay). */
export const ema = (avg: tf.Tensor, x: tf.Tensor, decay: number): tf.Tensor => tf.add(tf.mul(avg, decay), tf.mul(x, 1 - decay));

/** g + λθ (L2 weight decay added to the gradient), or g where there is no decay (`param` undefined, see `decayedParams`). */
export const addDecay = (grad: tf.Tensor, param: tf.Tensor | undefined, weightDecay: number): tf.Tensor =>
  param ? tf.add(grad, tf.mul(param, weightDecay)) : grad;

/** update − factor·θ (decoupled weight decay, as AdamW, with factor ηλ), or the update where there is no decay (`param` undefined). */
export const subDecay = (update: tf.Tensor, param: tf.Tensor | undefined, factor: number): tf.Tensor =>
  param ? tf.sub(update, tf.mul(param, factor)) : update;

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
