import { type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, unflatten } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { alignedGrads, checkPositive, clippedFlag, l2Norm, resolvePositive } from './internal.js';

/** `clipByGlobalNorm`'s resolved options. @example `clipByGlobalNorm(1).options // { maxNorm: 1 }` */
export interface ClipByGlobalNormOptions {
  /** Largest allowed L2 norm of all gradients taken together (> 0; may be a Schedule). */
  readonly maxNorm: HyperParam;
}

/**
 * State of `clipByGlobalNorm`: the step count and what the last step measured, as float32 scalar
 * tensors on the device (its `metrics`; read them with `await t.data()` or `Optimizer.metrics()`,
 * never with a blocking readback). Fused kernels write `norm` and `clipped` in place.
 *
 * @example `{ count: 3, norm: float32 4.2, clipped: float32 1 }`
 */
export type ClipByGlobalNormState = {
  /** Steps taken (a scheduled threshold is evaluated at this step). */
  readonly count: number;
  /** The global L2 norm of the incoming gradients at the last step (0 before any step): what PyTorch's `clip_grad_norm_` returns. */
  readonly norm: tf.Scalar;
  /** 1 when the last step rescaled the gradients (norm ≥ maxNorm, or a NaN norm), else 0 (0 before any step). */
  readonly clipped: tf.Scalar;
};

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
 * What it did is in its state (`metrics: ['norm', 'clipped']`): `norm`, the norm n it measured (the
 * number PyTorch's `clip_grad_norm_` returns and people log), and `clipped`, 1 when it rescaled
 * (NOT n < c, so a NaN norm counts as clipped), both float32 scalars on the device, read after the
 * step without blocking it (`Optimizer.metrics()`).
 *
 * @param maxNorm - the bound c (> 0), a number or a Schedule of the step (which must stay > 0).
 * @throws HyperParameterError (field `maxNorm`) when it is not > 0 or not finite, not a number or a
 *   Schedule (an options object, a factory not called); a schedule is checked at step 0 here and at
 *   later steps by `update`.
 * @example
 * ```ts
 * const opt = new Optimizer(params, chain(clipByGlobalNorm(1), adam({ learningRate: 1e-3 })));
 * // functionally, the new state holds what the step measured:
 * const clip = clipByGlobalNorm(1);
 * const { updates, state } = clip.update(grads, clip.init(params), params);
 * console.log((await state.norm.data())[0], (await state.clipped.data())[0]); // e.g. 4.2, 1
 * ```
 */
export function clipByGlobalNorm(maxNorm: HyperParam): GradientTransformation<ClipByGlobalNormState, ClipByGlobalNormOptions> {
  const o: ClipByGlobalNormOptions = { maxNorm: checkPositive('maxNorm', maxNorm, 'clipByGlobalNorm(1)') };
  const hyperParams = (step: number) => ({ maxNorm: resolvePositive('maxNorm', o.maxNorm, step) });
  return {
    name: 'clipByGlobalNorm',
    options: o,
    hyperParams,
    metrics: ['norm', 'clipped'],
    stateChecks: { norm: 'measured', clipped: 'measured' },
    init: (): ClipByGlobalNormState => ({ count: 0, norm: tf.scalar(0), clipped: tf.scalar(0) }),
    update(grads: GradTree, state: ClipByGlobalNormState, params?: ParamTree): TransformResult<ClipByGlobalNormState> {
      const c = hyperParams(state.count).maxNorm;
      const { like, leaves } = alignedGrads(grads, params);
      const norm = l2Norm(leaves);
      const trigger = tf.less(norm, c);
      return {
        updates: unflatten(
          like,
          leaves.map((g) => tf.where(trigger, g, tf.mul(tf.div(g, norm), c))),
        ),
        state: { count: state.count + 1, norm, clipped: clippedFlag(trigger, norm) as tf.Scalar },
      };
    },
  };
}
