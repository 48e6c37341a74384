import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, map, type TransformResult } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { flag, type OptionKeys, optionsOf, POSITIVE } from './internal.js';

/** Options of `scaleByLearningRate`. @example `{ flipSign: false }` */
export interface ScaleByLearningRateOptions {
  /** Multiply by −η (default true: the updates then descend); false multiplies by +η. */
  readonly flipSign?: boolean;
}

/** The options `ScaleByLearningRate` accepts (strict: any other key is an UnknownOptionError). */
const SCALE_BY_LR_KEYS: OptionKeys<ScaleByLearningRateOptions> = { flipSign: true };

/** `scaleByLearningRate`'s options: the learning rate and the sign. @example `scaleByLearningRate(0.1).options // { learningRate: 0.1, flipSign: true }` */
export interface ResolvedScaleByLearningRateOptions {
  /** The learning rate η (> 0), a number or a Schedule. */
  readonly learningRate: HyperParam;
  /** Whether the updates are multiplied by −η (true) or +η. */
  readonly flipSign: boolean;
}

/** State of `scaleByLearningRate`: the step count, at which a scheduled learning rate is evaluated. @example `{ count: 3 }` */
export type ScaleByLearningRateState = {
  /** Steps taken. */
  readonly count: number;
};

/**
 * Multiplies the updates by −η (or +η with `flipSign: false`), η a number or a Schedule evaluated at
 * the step count: optax's `scale_by_learning_rate`. The last link of a chain built from blocks.
 *
 * update = −η(t) · g, with t the step counted from 0.
 *
 * @throws HyperParameterError for a learning rate that is not > 0, or a `flipSign` that is not a boolean.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const tx = chain(scaleByAdam(), scaleByLearningRate(cosineDecay({ initial: 1e-3, decaySteps: 1000 })));
 * ```
 */
export function scaleByLearningRate(
  learningRate: HyperParam,
  options?: ScaleByLearningRateOptions,
): GradientTransformation<ScaleByLearningRateState, ResolvedScaleByLearningRateOptions> {
  const given = optionsOf('scaleByLearningRate', options, SCALE_BY_LR_KEYS, 'scaleByLearningRate(0.1, { flipSign: false })');
  const hyper = defineHyperParams({ learningRate: [learningRate, POSITIVE] });
  const flipSign = flag('flipSign', given.flipSign, true);
  return {
    name: 'scaleByLearningRate',
    options: { ...hyper.options, flipSign },
    hyperParams: hyper.at,
    init: (): ScaleByLearningRateState => ({ count: 0 }),
    update(grads: GradTree, state: ScaleByLearningRateState): TransformResult<ScaleByLearningRateState> {
      const lr = hyper.at(state.count).learningRate;
      const factor = flipSign ? -lr : lr;
      return { updates: map(grads, (g) => tf.mul(g, factor)), state: { count: state.count + 1 } };
    },
  };
}
