import { type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, unflatten } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkPositive, gradLeaves, l2Norm, resolvePositive } from './internal.js';
import type { ClipState } from './types.js';

/** `clipByGlobalNorm`'s resolved options. @example `clipByGlobalNorm(1).options // { maxNorm: 1 }` */
export interface ClipByGlobalNormOptions {
  /** Largest allowed L2 norm of all gradients taken together (> 0; may be a Schedule). */
  readonly maxNorm: HyperParam;
}

/**
 * Rescales all gradients together so that their global L2 norm is at most `maxNorm`, keeping their
 * direction: with n = √(Σ_leaves Σ g²), g ← g when n < c, else g ← g / n · c.
 *
 * optax `clip_by_global_norm(max_norm)` (optax/_src/clipping.py: `trigger = g_norm < max_norm;
 * select(trigger, t, t / g_norm * max_norm)`), literally; PyTorch's `clip_grad_norm_` differs only
 * in its 1e-6 (see `clipGradNorm`). Pascanu et al. 2013, "On the difficulty of training recurrent
 * neural networks". All-zero gradients pass unchanged; a NaN anywhere makes every update NaN (guard
 * with `applyIfFinite` or `zeroNans`). The name `'clipByGlobalNorm'` and `options.maxNorm` are what
 * fused kernels (`clipByGlobalNorm → adam` …) match.
 *
 * @param maxNorm - the bound c (> 0), a number or a Schedule of the step (which must stay > 0).
 * @throws HyperParameterError (field `maxNorm`) when it is not > 0 or not finite (a schedule: at step 0 here, at later steps from `update`).
 * @example
 * ```ts
 * const opt = new Optimizer(params, chain(clipByGlobalNorm(1), adam({ learningRate: 1e-3 })));
 * ```
 */
export function clipByGlobalNorm(maxNorm: HyperParam): GradientTransformation<ClipState, ClipByGlobalNormOptions> {
  const o: ClipByGlobalNormOptions = { maxNorm: checkPositive('maxNorm', maxNorm) };
  const hyperParams = (step: number) => ({ maxNorm: resolvePositive('maxNorm', o.maxNorm, step) });
  return {
    name: 'clipByGlobalNorm',
    options: o,
    hyperParams,
    init: (): ClipState => ({ count: 0 }),
    update(grads: GradTree, state: ClipState, params?: ParamTree): TransformResult<ClipState> {
      const c = hyperParams(state.count).maxNorm;
      const leaves = gradLeaves(grads, params);
      const norm = l2Norm(leaves);
      const trigger = tf.less(norm, c);
      return {
        updates: unflatten(
          grads,
          leaves.map((g) => tf.where(trigger, g, tf.mul(tf.div(g, norm), c))),
        ),
        state: { count: state.count + 1 },
      };
    },
  };
}
