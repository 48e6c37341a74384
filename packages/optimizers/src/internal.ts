// Helpers shared by the transformations in this folder (not part of the public API: index.ts does not
// export them): the ranges of their options, the checks of non-numeric options, and tree plumbing.
import {
  alignLeaves,
  checkOptions,
  checkSameTensorType,
  flatten,
  type GradTree,
  HyperParameterError,
  type HyperRange,
  map,
  type ParamTree,
  type Tree,
  unflatten,
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
 * Every option name of `O`, listed once: the compiler checks that none is missing or misspelled
 * (`{ learningRate: true, beta1: true, … }`), so the list that strict options check stays the type's.
 */
export type OptionKeys<O extends object> = { readonly [K in keyof Required<O>]: true };

/**
 * The options object given to the factory `name`, checked strictly (core's `checkOptions`): `{}` when
 * it is absent and every option has a default (`optional`), else a plain object whose keys are all
 * in `keys`. An unknown key (a typo, a PyTorch spelling such as `lr` or `betas`) is an
 * UnknownOptionError that lists the valid names and suggests the closest, never a silent default.
 *
 * @throws HyperParameterError naming `options` (not an object), UnknownOptionError naming the key.
 */
export function optionsOf<O extends object>(name: string, options: O | undefined, keys: OptionKeys<O>, example: string, optional = true): O {
  return checkOptions(name, options, Object.keys(keys), { example, required: !optional });
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

/** The leaves of a state slot (or of the parameters), in the gradients' `flatten` order, paired with them by key whatever the order of either's keys (a TreeMismatchError when the structures differ). */
export function slotLeaves(grads: GradTree, slot: unknown): tf.Tensor[] {
  return alignLeaves(grads, slot as Tree<tf.Tensor>);
}

/**
 * The gradient tensors in their own `flatten` order, checked against a state slot built from the
 * parameters (same structure by key, shapes and dtypes), so that a mismatch is a TreeMismatchError
 * naming the path instead of a silent broadcast.
 */
export function gradLeaves(grads: GradTree, like: Tree<tf.Tensor>): tf.Tensor[] {
  const expected = alignLeaves(grads, like);
  return flatten(grads).map(({ path, value }, i) => {
    checkSameTensorType(path, expected[i] as tf.Tensor, value, 'gradient');
    return value;
  });
}

/**
 * A tree with the structure (and key order) of `like` whose leaves are `values`, given in the
 * `flatten` order of `grads`, a tree with the same paths in any key order: each value goes to the
 * leaf of `like` with its path. Lets an update computed in the gradients' order be stored in a state
 * tree whose keys keep their order (state keeps the structure its `init` gave it).
 */
export function inStructureOf<L>(like: Tree<unknown>, grads: GradTree, values: readonly L[]): Tree<L> {
  if (like === grads) return unflatten(like, values);
  const order = alignLeaves(
    like,
    unflatten(
      grads,
      values.map((_, i) => i),
    ),
  );
  return unflatten(
    like,
    order.map((i) => values[i] as L),
  );
}

/** What the per-leaf `step` of `stepLeaves` returns: the leaf's update and its new slot tensors. */
export interface LeafStep<S extends string> {
  readonly update: tf.Tensor;
  readonly slots: Readonly<Partial<Record<S, tf.Tensor>>>;
}

/**
 * Runs `step` on every gradient leaf (in the gradients' `flatten` order) with that leaf's tensor of
 * each state slot given, paired by path whatever the order of either tree's keys, and gathers the
 * updates (a tree shaped like the gradients) and the new slots (each shaped like the slot it
 * replaces, keys in the same order). A TreeMismatchError names the path where the structures differ;
 * `gradTensors` are the gradient leaves to use (default: as they are; `gradLeaves` checks their
 * shapes too).
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
    slots: Object.fromEntries(names.map((k, j) => [k, inStructureOf(slots[k] as Tree<tf.Tensor>, grads, next[j] as tf.Tensor[])])) as Record<
      S,
      Tree<tf.Tensor>
    >,
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

/**
 * sign(x) from comparisons, (x > 0) − (x < 0): 1, −1, or 0 for 0 and NaN, as the fused kernels
 * compute it. tfjs-wasm's `tf.sign` rounds |x| below about 5e-7 to 0, so `tf.sign` would give another
 * sign on wasm than on cpu and webgpu (and than the fused path).
 */
export function signOf(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32'));
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
