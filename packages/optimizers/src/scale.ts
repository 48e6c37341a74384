import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, map, type TransformResult } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** `scale`'s options: the factor. @example `scale(-0.1).options // { factor: -0.1 }` */
export interface ScaleOptions {
  /** The factor s (any finite number), or a Schedule. */
  readonly factor: HyperParam;
}

/** State of `scale`: the step count, at which a scheduled factor is evaluated. @example `{ count: 3 }` */
export type ScaleState = {
  /** Steps taken. */
  readonly count: number;
};

/**
 * Multiplies the updates by a constant (or scheduled) factor: optax's `scale` (and, with a Schedule,
 * `scale_by_schedule`). No sign is flipped: `scale(-η)` is `scaleByLearningRate(η)`.
 *
 * update = s(t) · g, with t the step counted from 0.
 *
 * @throws HyperParameterError when the factor is not a finite number.
 * @example
 * ```ts
 * const tx = chain(scaleByAdam(), scale(-1e-3));
 * ```
 */
export function scale(factor: HyperParam): GradientTransformation<ScaleState, ScaleOptions> {
  const hyper = defineHyperParams({ factor: [factor, {}] });
  return {
    name: 'scale',
    options: hyper.options,
    hyperParams: hyper.at,
    init: (): ScaleState => ({ count: 0 }),
    update(grads: GradTree, state: ScaleState): TransformResult<ScaleState> {
      const s = hyper.at(state.count).factor;
      return { updates: map(grads, (g) => tf.mul(g, s)), state: { count: state.count + 1 } };
    },
  };
}
