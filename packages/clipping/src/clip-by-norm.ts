import { type GradientTransformation, type GradTree, type HyperParam, map, type ParamTree, type TransformResult, type Tree, unflatten } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { alignedGrads, checkPositive, clippedFlag, resolvePositive } from './internal.js';

/** `clipByNorm`'s resolved options. @example `clipByNorm(1).options // { maxNorm: 1 }` */
export interface ClipByNormOptions {
  /** Largest allowed L2 norm of each gradient tensor (> 0; may be a Schedule). */
  readonly maxNorm: HyperParam;
}

/**
 * State of `clipByNorm`: the step count and, per parameter (trees keyed like the parameters), what
 * the last step measured, as float32 scalar tensors on the device (its `metrics`).
 *
 * @example `{ count: 3, norm: { w: float32 2.5, b: float32 0.1 }, clipped: { w: float32 1, b: float32 0 } }`
 */
export type ClipByNormState = {
  /** Steps taken (a scheduled threshold is evaluated at this step). */
  readonly count: number;
  /** Per parameter: the L2 norm of its gradient at the last step (0 before any step). */
  readonly norm: Tree<tf.Tensor>;
  /** Per parameter: 1 when the last step rescaled its gradient (norm > maxNorm, or a NaN norm), else 0. */
  readonly clipped: Tree<tf.Tensor>;
};

/**
 * Clips each gradient tensor separately to an L2 norm of at most `maxNorm`:
 * g ← g · c / max(‖g‖₂, c), with ‖g‖₂ the norm of that one tensor (a tensor already within the bound
 * is unchanged; a zero tensor stays zero, nothing is divided by zero).
 *
 * TensorFlow's `tf.clip_by_norm(t, clip_norm)` formula, applied per parameter as Keras's `clipnorm`.
 * To clip the whole tree by one norm (PyTorch's `clip_grad_norm_`, optax's `clip_by_global_norm`)
 * use `clipByGlobalNorm`.
 *
 * What it did is in its state (`metrics: ['norm', 'clipped']`), per parameter: `norm`, the norm of
 * its gradient, and `clipped`, 1 when it was rescaled (NOT ‖g‖ ≤ c, so a NaN norm counts as clipped),
 * float32 scalars on the device, keyed like the parameters (like the gradients when `update` is
 * called without parameters).
 *
 * @param maxNorm - the bound c (> 0), a number or a Schedule of the step (which must stay > 0).
 * @throws HyperParameterError (field `maxNorm`) when it is not > 0 or not finite, not a number or a
 *   Schedule (an options object, a factory not called); a schedule is checked at step 0 here and at
 *   later steps by `update`.
 * @example
 * ```ts
 * const tx = chain(clipByNorm(1), sgd({ learningRate: 0.1 }));
 * ```
 */
export function clipByNorm(maxNorm: HyperParam): GradientTransformation<ClipByNormState, ClipByNormOptions> {
  const o: ClipByNormOptions = { maxNorm: checkPositive('maxNorm', maxNorm, 'clipByNorm(1)') };
  const hyperParams = (step: number) => ({ maxNorm: resolvePositive('maxNorm', o.maxNorm, step) });
  return {
    name: 'clipByNorm',
    options: o,
    hyperParams,
    metrics: ['norm', 'clipped'],
    stateChecks: { norm: 'measured', clipped: 'measured' },
    init: (params: ParamTree): ClipByNormState => ({ count: 0, norm: map(params, () => tf.scalar(0)), clipped: map(params, () => tf.scalar(0)) }),
    update(grads: GradTree, state: ClipByNormState, params?: ParamTree): TransformResult<ClipByNormState> {
      const c = hyperParams(state.count).maxNorm;
      const { like, leaves } = alignedGrads(grads, params);
      const norms = leaves.map((g) => tf.sqrt(tf.sum(tf.square(g))));
      return {
        updates: unflatten(
          like,
          leaves.map((g, i) => tf.div(tf.mul(g, c), tf.maximum(norms[i] as tf.Tensor, c))),
        ),
        state: {
          count: state.count + 1,
          norm: unflatten(like, norms),
          clipped: unflatten(
            like,
            norms.map((n) => clippedFlag(tf.lessEqual(n, c), n)),
          ),
        },
      };
    },
  };
}
