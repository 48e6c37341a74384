import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { addDecay, decayedParams, ema, NON_NEGATIVE, type OptionKeys, optionsOf, POSITIVE, signOf, stepLeaves, UNIT_OPEN, zeroState } from './internal.js';

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

/** The options `Lion` accepts (strict: any other key is an UnknownOptionError). */
const LION_KEYS: OptionKeys<LionOptions> = { learningRate: true, beta1: true, beta2: true, weightDecay: true };

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
 * sign(c) is computed from comparisons, (c > 0) − (c < 0) (0 for 0 and NaN), so every backend and
 * the fused kernels give the same sign however small c is (tfjs-wasm's `tf.sign` rounds |c| below
 * about 5e-7 to 0, which would freeze those coordinates).
 *
 * Reference: Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"; optax `lion`
 * (`optax/_src/alias.py`, `optax/_src/transform.py` `scale_by_lion`). PyTorch has no Lion.
 *
 * @throws HyperParameterError for a learning rate that is not > 0, β₁ or β₂ outside [0, 1), or a
 *   negative weight decay.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, lion({ learningRate: 3e-5, weightDecay: 1 }));
 * ```
 */
export function lion(options?: LionOptions): GradientTransformation<LionState, ResolvedLionOptions> {
  const given = optionsOf('lion', options, LION_KEYS, 'lion({ learningRate: 3e-5 })');
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
        // scale_by_lion: sign((1 - b1) * g + b1 * m); mu = (1 - b2) * g + b2 * mu. The sign from comparisons:
        // tfjs-wasm's tf.sign gives 0 for |c| below ~5e-7.
        const direction = signOf(ema(s.mu, g, h.beta1));
        // add_decayed_weights: u + wd * p; scale_by_learning_rate: −lr · u
        return { update: tf.mul(addDecay(direction, ps[i], h.weightDecay), -h.learningRate), slots: { mu: ema(s.mu, g, h.beta2) } };
      });
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as LionState };
    },
  };
}
