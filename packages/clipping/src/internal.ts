// Helpers shared by the clipping transformations (not part of the public surface).
import {
  checkHyper,
  checkSameTensorType,
  flatten,
  type GradTree,
  type HyperParam,
  HyperParameterError,
  type ParamTree,
  resolveHyper,
  TreeMismatchError,
  zip,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** Range of a threshold that must be > 0. */
export const POSITIVE = { min: 0, minExclusive: true } as const;
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

/** Validates a threshold that must be > 0 when a transformation is built (a schedule at step 0 too). */
export function checkPositive<T extends HyperParam>(field: string, value: T): T {
  checkHyper(field, value, POSITIVE);
  if (typeof value === 'function') resolvePositive(field, value, 0);
  return value;
}

/** Range of a threshold that must be ≥ 0. */
export const NON_NEGATIVE = { min: 0 } as const;

/**
 * The gradient leaves in `flatten` order, each checked to be a live tensor. When `params` is given,
 * the gradients must have its structure, shapes and dtypes (TreeMismatchError naming the path).
 */
export function gradLeaves(grads: GradTree, params?: ParamTree): tf.Tensor[] {
  if (params !== undefined) {
    return zip(params, grads).map(({ path, a, b }) => {
      checkSameTensorType(path, a, b, 'gradient');
      return b;
    });
  }
  return flatten(grads).map(({ path, value }) => {
    if (!(value instanceof tf.Tensor))
      throw new TreeMismatchError(path, `gradient at '${path || '(root)'}' is ${value === null ? 'null' : typeof value}, not a tensor`);
    if (value.isDisposed) throw new TreeMismatchError(path, `gradient at '${path || '(root)'}' was already disposed`);
    return value;
  });
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

/** ‖g‖∞ over every leaf: max |g| (NaN when any element is NaN, as PyTorch), a float32 scalar; 0 for no leaves. */
export function infNorm(leaves: readonly tf.Tensor[]): tf.Scalar {
  if (leaves.length === 0) return tf.scalar(0);
  const maxes = leaves.map((g) => tf.max(tf.abs(g)));
  const max = maxes.length === 1 ? (maxes[0] as tf.Tensor) : tf.max(tf.stack(maxes));
  // Backends differ on whether a max reduction propagates NaN: make it explicit.
  const nans = leaves.map((g) => tf.any(tf.isNaN(g)));
  const anyNan = nans.reduce((a, b) => tf.logicalOr(a, b));
  return tf.where(anyNan, tf.scalar(Number.NaN), max) as tf.Scalar;
}

/** Throws a HyperParameterError unless `ord` is 2 or Infinity. */
export function checkOrd(field: string, ord: unknown): 2 | typeof Number.POSITIVE_INFINITY {
  if (ord !== 2 && ord !== Number.POSITIVE_INFINITY)
    throw new HyperParameterError(field, `${field} must be 2 (Euclidean norm) or Infinity (max norm), got ${String(ord)}`);
  return ord;
}

/** Throws a HyperParameterError unless `options` is an object (or undefined when allowed). */
export function checkOptions(what: string, options: unknown, example: string): void {
  if (options === null || typeof options !== 'object') throw new HyperParameterError('options', `${what} needs an options object, e.g. ${example}`);
}
