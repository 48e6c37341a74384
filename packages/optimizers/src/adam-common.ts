// Internal helpers shared by the Adam family and the building blocks (not part of the public API).
import { checkSameTensorType, flatten, type GradTree, HyperParameterError, type ParamTree, type Tree, zip } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';

/** (0, ∞): learning rates, epsilons. */
export const POSITIVE = { min: 0, minExclusive: true } as const;
/** [0, ∞): weight decays, momentum decays, epsilonRoot. */
export const NON_NEGATIVE = { min: 0 } as const;
/** [0, 1): betas (as PyTorch checks them). */
export const BETA = { min: 0, max: 1, maxExclusive: true } as const;

/** The options object of a factory whose options are all optional; rejects anything but an object. */
export function optionsOf<T extends object>(name: string, options: T | undefined, example: string): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new HyperParameterError('options', `${name} takes an options object such as ${example}, got ${String(options)}`);
  }
  return options;
}

/** A boolean option, defaulted and checked by hand (checkHyper only knows numbers and schedules). */
export function flag(field: string, value: boolean | undefined, fallback: boolean): boolean {
  const v = value ?? fallback;
  if (typeof v !== 'boolean') throw new HyperParameterError(field, `${field} must be true or false, got ${String(v)}`);
  return v;
}

/** The tensors of a tree in `flatten` order. */
export const leavesOf = (tree: Tree<tf.Tensor>): tf.Tensor[] => flatten(tree).map((e) => e.value);

/** The parameters, or a HyperParameterError on `field` saying that `name` needs them. */
export function requireParams(name: string, field: string, params: ParamTree | undefined): ParamTree {
  if (params === undefined || params === null) {
    throw new HyperParameterError(field, `${name} with a non-zero ${field} needs the parameters: call update(grads, state, params)`);
  }
  return params;
}

/**
 * The gradient tensors in `flatten` order, checked against a state tree built from the parameters
 * (same structure, shapes and dtypes), so that a mismatch is a TreeMismatchError naming the path
 * instead of a silent broadcast.
 */
export function gradLeaves(grads: GradTree, like: Tree<tf.Tensor>): tf.Tensor[] {
  return zip(like, grads).map(({ path, a, b }) => {
    checkSameTensorType(path, a, b, 'gradient');
    return b;
  });
}
