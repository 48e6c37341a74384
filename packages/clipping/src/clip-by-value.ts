import { type GradientTransformation, type GradTree, type HyperParam, type ParamTree, resolveHyper, type TransformResult, unflatten } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { alignedGrads, checkThreshold, NON_NEGATIVE } from './internal.js';
import type { ClipState } from './types.js';

/** `clipByValue`'s resolved options. @example `clipByValue(1).options // { maxAbs: 1 }` */
export interface ClipByValueOptions {
  /** Largest allowed |gradient element| (≥ 0; may be a Schedule). */
  readonly maxAbs: HyperParam;
}

/**
 * Clips every gradient element to [−maxAbs, maxAbs]: gᵢ ← min(max(gᵢ, −c), c).
 *
 * PyTorch `torch.nn.utils.clip_grad_value_(parameters, clip_value)` (`torch.clamp`) and optax
 * `clip(max_delta)` (`jnp.clip`). NaN stays NaN, ±Infinity becomes ±maxAbs.
 *
 * @param maxAbs - the bound c (≥ 0), a number or a Schedule of the step.
 * @throws HyperParameterError (field `maxAbs`) when it is negative or not finite, or not a number or a
 *   Schedule (an options object, a factory not called).
 * @example
 * ```ts
 * const tx = chain(clipByValue(0.5), sgd({ learningRate: 0.1 }));
 * ```
 */
export function clipByValue(maxAbs: HyperParam): GradientTransformation<ClipState, ClipByValueOptions> {
  const o: ClipByValueOptions = { maxAbs: checkThreshold('maxAbs', maxAbs, NON_NEGATIVE, 'clipByValue(1)') };
  const hyperParams = (step: number) => ({ maxAbs: resolveHyper('maxAbs', o.maxAbs, step, NON_NEGATIVE) });
  return {
    name: 'clipByValue',
    options: o,
    hyperParams,
    init: (): ClipState => ({ count: 0 }),
    update(grads: GradTree, state: ClipState, params?: ParamTree): TransformResult<ClipState> {
      const c = hyperParams(state.count).maxAbs;
      const { like, leaves } = alignedGrads(grads, params);
      return {
        updates: unflatten(
          like,
          // jnp.clip's min(max(g, −c), c): NaN stays NaN on every backend (tf.clipByValue turns it into −c on wasm).
          leaves.map((g) => tf.minimum(tf.maximum(g, -c), c)),
        ),
        state: { count: state.count + 1 },
      };
    },
  };
}
