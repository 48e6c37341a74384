import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { addDecay, decayedParams, ema, NON_NEGATIVE, optionsOf, POSITIVE, stepLeaves, UNIT_OPEN, zeroState } from './internal.js';

/** Options of `lion` (optax's `lion`; PyTorch has no Lion). Every number may be a Schedule. @example `{ learningRate: 3e-5, weightDecay: 1 }` */
export interface LionOptions {
  /** Step size η (> 0; default 1e-4; Lion wants one 3–10× smaller than AdamW's). */
  readonly learningRate?: HyperParam;
  /** β₁: weight of the momentum in the interpolation whose sign is the update (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** β₂: decay of the momentum itself (in [0, 1); default 0.99). */
  readonly beta2?: HyperParam;
  /** Decoupled weight decay λ, multiplied by η like the sign (≥ 0; default 0, where optax's default is 1e-3). */
  readonly weightDecay?: HyperParam;
}

/** `lion`'s options with defaults filled in. @example `lion().options.beta2 // 0.99` */
export type ResolvedLionOptions = Required<LionOptions>;

/** State of `lion`: the step count and the momentum of every parameter. @example `{ count: 3, mu: { w: m } }` */
export type LionState = {
  /** Steps taken. */
  readonly count: number;
  /** m: the momentum, an exponential average of the gradients with decay β₂ (optax's `mu`). */
  readonly mu: Tree<tf.Tensor>;
};

/**
 * Lion (EvoLved Sign Momentum): the update is the sign of an interpolation between the momentum and
 * the gradient, so every coordinate moves by exactly η (plus decoupled weight decay). optax's
 * `lion` (`scale_by_lion` → `add_decayed_weights` → `scale_by_learning_rate`), step for step.
 *
 * c ← β₁m + (1−β₁)g;  update = −η (sign(c) + λθ);  m ← β₂m + (1−β₂)g.
 *
 * Reference: Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"; optax `lion`
 * (`optax/_src/alias.py`, `optax/_src/transform.py` `scale_by_lion`). PyTorch has no Lion.
 *
 * @throws HyperParameterError for a learning rate that is not > 0, β₁ or β₂ outside [0, 1), or a
 *   negative weight decay.
 * @example
 * ```ts
 * const opt = new Optimizer(params, lion({ learningRate: 3e-5, weightDecay: 1 }));
 * ```
 */
export function lion(options?: LionOptions): GradientTransformation<LionState, ResolvedLionOptions> {
  const given = optionsOf('lion', options, 'lion({ learningRate: 3e-5 })');
  const hyper = defineHyperParams({
    learningRate: [given.learningRate ?? 1e-4, POSITIVE],
    beta1: [given.beta1 ?? 0.9, UNIT_OPEN],
    beta2: [given.beta2 ?? 0.99, UNIT_OPEN],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
  });
  return {
    name: 'lion',
    options: hyper.options,
    hyperParams: hyper.at,
    init: (params: ParamTree): LionState => zeroState(params, 'mu'),
    update(grads: GradTree, state: LionState, params?: ParamTree): TransformResult<LionState> {
      const h = hyper.at(state.count);
      const ps = decayedParams('lion', grads, params, h.weightDecay);
      const r = stepLeaves(grads, { mu: state.mu }, (g, s, i) => {
        // scale_by_lion: sign((1 - b1) * g + b1 * m); mu = (1 - b2) * g + b2 * mu
        const direction = tf.sign(ema(s.mu, g, h.beta1));
        // add_decayed_weights: u + wd * p; scale_by_learning_rate: −lr · u
        return { update: tf.mul(addDecay(direction, ps[i], h.weightDecay), -h.learningRate), slots: { mu: ema(s.mu, g, h.beta2) } };
      });
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as LionState };
    },
  };
}
