import { type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, unflatten } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkPositive, gradLeaves, resolvePositive } from './internal.js';
import type { ClipState } from './types.js';

/** `clipByNorm`'s resolved options. @example `clipByNorm(1).options // { maxNorm: 1 }` */
export interface ClipByNormOptions {
  /** Largest allowed L2 norm of each gradient tensor (> 0; may be a Schedule). */
  readonly maxNorm: HyperParam;
}

/**
 * Clips each gradient tensor separately to an L2 norm of at most `maxNorm`:
 * g ← g · c / max(‖g‖₂, c), with ‖g‖₂ the norm of that one tensor (a tensor already within the bound
 * is unchanged; a zero tensor stays zero, nothing is divided by zero).
 *
 * TensorFlow's `tf.clip_by_norm(t, clip_norm)` formula, applied per parameter as Keras's `clipnorm`.
 * To clip the whole tree by one norm (PyTorch's `clip_grad_norm_`, optax's `clip_by_global_norm`)
 * use `clipByGlobalNorm`.
 *
 * @param maxNorm - the bound c (> 0), a number or a Schedule of the step (which must stay > 0).
 * @throws HyperParameterError (field `maxNorm`) when it is not > 0 or not finite (a schedule: at step 0 here, at later steps from `update`).
 * @example
 * ```ts
 * const tx = chain(clipByNorm(1), sgd({ learningRate: 0.1 }));
 * ```
 */
export function clipByNorm(maxNorm: HyperParam): GradientTransformation<ClipState, ClipByNormOptions> {
  const o: ClipByNormOptions = { maxNorm: checkPositive('maxNorm', maxNorm) };
  const hyperParams = (step: number) => ({ maxNorm: resolvePositive('maxNorm', o.maxNorm, step) });
  return {
    name: 'clipByNorm',
    options: o,
    hyperParams,
    init: (): ClipState => ({ count: 0 }),
    update(grads: GradTree, state: ClipState, params?: ParamTree): TransformResult<ClipState> {
      const c = hyperParams(state.count).maxNorm;
      const leaves = gradLeaves(grads, params);
      return {
        updates: unflatten(
          grads,
          leaves.map((g) => tf.div(tf.mul(g, c), tf.maximum(tf.sqrt(tf.sum(tf.square(g))), c))),
        ),
        state: { count: state.count + 1 },
      };
    },
  };
}
