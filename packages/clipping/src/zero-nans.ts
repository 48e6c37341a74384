import {
  assertSameStructure,
  checkOptions,
  type GradientTransformation,
  type GradTree,
  map,
  type ParamTree,
  type TransformResult,
  type Tree,
  TreeMismatchError,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { alignedGrads } from './internal.js';

/**
 * State of `zeroNans`: for every parameter, a bool scalar tensor that is true when its gradient held
 * a NaN at the last step (optax's `ZeroNansState.found_nan`). Read it with `await t.data()` to log
 * where NaNs come from.
 *
 * @example `{ foundNan: { w: tf.scalar(false, 'bool'), b: tf.scalar(true, 'bool') } }`
 */
export type ZeroNansState = {
  /** Per parameter: did its gradient contain a NaN at the last step (bool scalar tensor)? */
  readonly foundNan: Tree<tf.Tensor>;
};

/**
 * Replaces every NaN in the gradients by 0 and records, per parameter, whether it found one:
 * gᵢ ← 0 where gᵢ is NaN, else gᵢ. ±Infinity passes unchanged (as optax; clip it afterwards, or guard
 * the step with `applyIfFinite`).
 *
 * Its state's `foundNan` describes the last step (`metrics: ['foundNan']`, read by `Optimizer.metrics()`).
 *
 * optax `zero_nans()` (optax/_src/transform.py). PyTorch has no transform for it (the closest is
 * `torch.nan_to_num(g, nan=0.0)`, which also replaces ±inf).
 *
 * @param options - none: `zeroNans()` takes no options (an object with any key is an UnknownOptionError).
 * @example
 * ```ts
 * const tx = chain(zeroNans(), clipByGlobalNorm(1), sgd({ learningRate: 0.1 }));
 * ```
 */
export function zeroNans(options?: Record<string, never>): GradientTransformation<ZeroNansState, Record<string, never>> {
  checkOptions('zeroNans', options, [], { example: 'zeroNans()' });
  return {
    name: 'zeroNans',
    options: {},
    hyperParams: () => ({}),
    metrics: ['foundNan'],
    stateChecks: { foundNan: 'measured' },
    init: (params: ParamTree): ZeroNansState => ({ foundNan: map(params, () => tf.scalar(false, 'bool')) }),
    update(grads: GradTree, state: ZeroNansState, params?: ParamTree): TransformResult<ZeroNansState> {
      if (state === null || typeof state !== 'object' || !('foundNan' in state))
        throw new TreeMismatchError('', "zeroNans got a state without 'foundNan': pass the state that its init returned");
      assertSameStructure(state.foundNan, grads);
      const { like, leaves } = alignedGrads(grads, params);
      const masks = leaves.map((g) => tf.isNaN(g));
      return {
        updates: unflatten(
          like,
          leaves.map((g, i) => tf.where(masks[i] as tf.Tensor, tf.zerosLike(g), g)),
        ),
        state: {
          foundNan: unflatten(
            like,
            masks.map((m) => tf.any(m)),
          ),
        },
      };
    },
  };
}
