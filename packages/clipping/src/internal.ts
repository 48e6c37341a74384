// Helpers shared by the clipping transformations (not part of the public surface).
import {
  checkHyper,
  checkSameTensorType,
  flatten,
  type GradTree,
  type HyperParam,
  HyperParameterError,
  type HyperRange,
  type ParamTree,
  resolveHyper,
  type Tree,
  TreeMismatchError,
  zip,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** Range of a threshold that must be > 0. */
export const POSITIVE = { min: 0, minExclusive: true } as const;
/** Range of a threshold that must be ≥ 0. */
export const NON_NEGATIVE = { min: 0 } as const;

/**
 * A threshold that must be > 0 at `step`. Unlike `resolveHyper`, which lets a schedule reach an
 * exclusive lower bound of 0 (a learning rate annealed to 0), a clipping threshold of 0 would divide
 * 0 by 0, so schedules must stay > 0 too.
 */
export function resolvePositive(field: string, value: HyperParam, step: number): number {
  const v = resolveHyper(field, value, step, POSITIVE);
  if (v <= 0) throw new HyperParameterError(field, `${field} must be in (0, ∞) (schedule value at step ${step}), got ${v}`);
  return v;
}

const describe = (x: unknown) =>
  x === undefined ? 'nothing' : x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x === 'object' ? 'an object' : `a ${typeof x}`;

/**
 * Validates a threshold when a transformation is built: a finite number in `range`, or a Schedule
 * whose value at step 0 is. An options object where a number belongs (`clipByGlobalNorm({ maxNorm: 1 })`,
 * PyTorch's `max_norm=`) and a function that fails as a schedule (a factory passed uncalled) get a
 * HyperParameterError naming `field` that shows the call to write (`example`).
 */
export function checkThreshold<T extends HyperParam>(field: string, value: T, range: HyperRange, example: string): T {
  if (value === undefined || value === null || typeof value === 'object')
    throw new HyperParameterError(field, `${field} must be a number or a Schedule (step) => number, got ${describe(value)}: write ${example}`);
  if (typeof value === 'function') {
    let v: unknown;
    try {
      v = (value as (step: number) => unknown)(0);
    } catch (e) {
      throw new HyperParameterError(
        field,
        `${field} is a function, so it is called as a Schedule (step) => number, but at step 0 it threw: ${(e as Error)?.message ?? String(e)}; write ${example}`,
      );
    }
    if (typeof v !== 'number')
      throw new HyperParameterError(
        field,
        `${field} is a function, so it is called as a Schedule (step) => number, but at step 0 it returned ${describe(v)}; write ${example}`,
      );
  }
  checkHyper(field, value, range);
  if (typeof value === 'function' && range === POSITIVE) resolvePositive(field, value, 0);
  return value;
}

/** Validates a threshold that must be > 0 (see `checkThreshold`). */
export const checkPositive = <T extends HyperParam>(field: string, value: T, example: string): T => checkThreshold(field, value, POSITIVE, example);

/**
 * The gradients, checked, with the tree their results are keyed by. With `params`, the gradients
 * must have its structure, shapes and dtypes (TreeMismatchError naming the path) and are paired with
 * it BY KEY: `leaves` follow `params`' order, whatever the order of the gradients' keys, and `like`
 * is `params`, so `unflatten(like, results)` puts every result at its parameter's path. Without
 * `params`, `like` is the gradients and every leaf must be a live tensor.
 */
export function alignedGrads(grads: GradTree, params?: ParamTree): { like: Tree<unknown>; leaves: tf.Tensor[] } {
  if (params !== undefined) {
    const leaves = zip(params, grads).map(({ path, a, b }) => {
      checkSameTensorType(path, a, b, 'gradient');
      return b;
    });
    return { like: params, leaves };
  }
  const leaves = flatten(grads).map(({ path, value }) => {
    if (!(value instanceof tf.Tensor))
      throw new TreeMismatchError(path, `gradient at '${path || '(root)'}' is ${value === null ? 'null' : typeof value}, not a tensor`);
    if (value.isDisposed) throw new TreeMismatchError(path, `gradient at '${path || '(root)'}' was already disposed`);
    return value;
  });
  return { like: grads, leaves };
}

/**
 * Σ of same-shaped tensors with `tf.addN` on at most 7 inputs at a time: tfjs-backend-webgpu 4.22's
 * AddN binds one storage buffer per input and silently returns a wrong sum beyond the 8 that WebGPU
 * allows by default (the output takes one).
 */
export function sumAll(xs: readonly tf.Tensor[]): tf.Tensor {
  let rest = [...xs];
  while (rest.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < rest.length; i += 7) {
      const chunk = rest.slice(i, i + 7);
      next.push(chunk.length === 1 ? (chunk[0] as tf.Tensor) : tf.addN(chunk));
    }
    rest = next;
  }
  return rest[0] as tf.Tensor;
}

/** ‖g‖₂ over every leaf: √(Σ_leaves Σ g²) (optax.tree.norm), a float32 scalar; 0 for no leaves. */
export function l2Norm(leaves: readonly tf.Tensor[]): tf.Scalar {
  if (leaves.length === 0) return tf.scalar(0);
  const sums = leaves.map((g) => tf.sum(tf.square(g)));
  return tf.sqrt(sumAll(sums)) as tf.Scalar;
}

/** max of `x`, NaN when any element is NaN (backends differ on whether a max reduction propagates NaN: made explicit). */
export function nanMax(x: tf.Tensor): tf.Scalar {
  return tf.where(tf.any(tf.isNaN(x)), tf.scalar(Number.NaN), tf.max(x)) as tf.Scalar;
}

/** ‖g‖∞ over every leaf: max |g| (NaN when any element is NaN, as PyTorch), a float32 scalar; 0 for no leaves. */
export function infNorm(leaves: readonly tf.Tensor[]): tf.Scalar {
  if (leaves.length === 0) return tf.scalar(0);
  const maxes = leaves.map((g) => nanMax(tf.abs(g)));
  return maxes.length === 1 ? (maxes[0] as tf.Scalar) : nanMax(tf.stack(maxes));
}

/**
 * 1 where `within` is false, else 0, as float32: "this was clipped". NaN norms count as clipped
 * (said explicitly with `isNaN`, since GPUs may fold NaN comparisons).
 */
export function clippedFlag(within: tf.Tensor, norm: tf.Tensor): tf.Tensor {
  return tf.cast(tf.logicalOr(tf.logicalNot(within), tf.isNaN(norm)), 'float32');
}

/** Throws a HyperParameterError unless `ord` is 2 or Infinity. */
export function checkOrd(field: string, ord: unknown): 2 | typeof Number.POSITIVE_INFINITY {
  if (ord !== 2 && ord !== Number.POSITIVE_INFINITY)
    throw new HyperParameterError(field, `${field} must be 2 (Euclidean norm) or Infinity (max norm), got ${String(ord)}`);
  return ord;
}

/** `value`, or `fallback` when it is absent (`undefined` only: a `null` is passed on, to be rejected by the check). */
export const orDefault = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);
