import {
  assertTransformation,
  type GradientTransformation,
  type GradTree,
  HyperParameterError,
  map,
  type ParamTree,
  type StateTree,
  type TransformResult,
  type Tree,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { gradLeaves, inStructureOf, slotLeaves } from './internal.js';

/** State of `accumulate`: mini-steps taken, the running sum of gradients, and the inner state. @example `{ count: 2, sum: { w: s }, inner }` */
export interface AccumulateState {
  readonly [key: string]: StateTree;
  /** Mini-steps taken (the inner transformation has run ⌊count / k⌋ times). */
  readonly count: number;
  /** Sum of the gradients since the inner transformation last ran. */
  readonly sum: Tree<tf.Tensor>;
  /** The inner transformation's state. */
  readonly inner: StateTree;
}

/**
 * Gradient accumulation (optax.MultiSteps): sums the gradients of `k` mini-steps and, on every k-th
 * one, runs `inner` on their mean; the other mini-steps give zero updates and leave `inner`'s state as
 * it was. Simulates a batch `k` times larger with the memory of one. The decision is made on the host
 * from the step count, so nothing waits on the device.
 *
 * @param k - mini-steps per real step (an integer ≥ 1).
 * @param inner - the transformation run on the mean gradient every k-th mini-step (`adam()`, not `adam`).
 * @throws HyperParameterError naming `k` unless it is an integer ≥ 1, naming `inner` unless it is a
 *   gradient transformation (e.g. the factory `adam` instead of `adam()`, or null).
 * @example
 * ```ts
 * const opt = new Optimizer(params, accumulate(4, adam({ learningRate: 1e-3 })));
 * for (const batch of batches) await opt.minimize((p) => loss(p, batch)); // adam steps every 4 batches
 * ```
 */
export function accumulate(k: number, inner: GradientTransformation): GradientTransformation<AccumulateState, { k: number; inner: GradientTransformation }> {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1)
    throw new HyperParameterError('k', `accumulate(k, inner): k (mini-steps per step) must be an integer ≥ 1, got ${String(k)}`);
  assertTransformation('inner', inner);
  return {
    name: 'accumulate',
    options: { k, inner },
    init: (params: ParamTree) => ({ count: 0, sum: map(params, (p) => tf.zerosLike(p)), inner: inner.init(params) }),
    update(grads: GradTree, state: AccumulateState, params?: ParamTree, extras?): TransformResult<AccumulateState> {
      // Paired by key: each gradient is added to the running sum of its own path.
      const sums = slotLeaves(grads, state.sum);
      const total = gradLeaves(grads, state.sum).map((g, i) => tf.add(sums[i] as tf.Tensor, g));
      const count = state.count + 1;
      if (count % k !== 0) {
        return {
          updates: map(grads, (g) => tf.zerosLike(g)),
          state: { count, sum: inStructureOf(state.sum, grads, total), inner: state.inner },
        };
      }
      const mean = unflatten(
        grads,
        total.map((t) => tf.div(t, k)),
      );
      const r = inner.update(mean, state.inner, params, extras);
      return { updates: r.updates, state: { count, sum: map(state.sum, (s) => tf.zerosLike(s)), inner: r.state } };
    },
  };
}
