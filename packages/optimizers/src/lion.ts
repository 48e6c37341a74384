import {
  checkHyper,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  map,
  type ParamTree,
  resolveHyper,
  type TransformResult,
  type Tree,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { leaves, NON_NEGATIVE, POSITIVE, requireOptions, requireParams, slotLeaves, UNIT_OPEN } from './optim-utils.js';

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
  const given = requireOptions('lion', options, 'lion({ learningRate: 3e-5 })', true);
  const o: ResolvedLionOptions = {
    learningRate: checkHyper('learningRate', given.learningRate ?? 1e-4, POSITIVE),
    beta1: checkHyper('beta1', given.beta1 ?? 0.9, UNIT_OPEN),
    beta2: checkHyper('beta2', given.beta2 ?? 0.99, UNIT_OPEN),
    weightDecay: checkHyper('weightDecay', given.weightDecay ?? 0, NON_NEGATIVE),
  };
  const hyperParams = (step: number) => ({
    learningRate: resolveHyper('learningRate', o.learningRate, step, POSITIVE),
    beta1: resolveHyper('beta1', o.beta1, step, UNIT_OPEN),
    beta2: resolveHyper('beta2', o.beta2, step, UNIT_OPEN),
    weightDecay: resolveHyper('weightDecay', o.weightDecay, step, NON_NEGATIVE),
  });
  return {
    name: 'lion',
    options: o,
    hyperParams,
    init: (params: ParamTree): LionState => ({ count: 0, mu: map(params, (p) => tf.zerosLike(p)) }),
    update(grads: GradTree, state: LionState, params?: ParamTree): TransformResult<LionState> {
      const h = hyperParams(state.count);
      const ps = h.weightDecay === 0 ? [] : slotLeaves(grads, requireParams('lion', params, 'with weightDecay needs the parameters', 'weightDecay'));
      const mus = slotLeaves(grads, state.mu);
      const nextMu: tf.Tensor[] = [];
      const updates = leaves(grads).map((g, i) => {
        const m = mus[i] as tf.Tensor;
        // scale_by_lion: sign((1 - b1) * g + b1 * m); mu = (1 - b2) * g + b2 * mu
        let u = tf.sign(tf.add(tf.mul(g, 1 - h.beta1), tf.mul(m, h.beta1)));
        nextMu.push(tf.add(tf.mul(g, 1 - h.beta2), tf.mul(m, h.beta2)));
        // add_decayed_weights: u + wd * p; scale_by_learning_rate: −lr · u
        if (h.weightDecay !== 0) u = tf.add(u, tf.mul(ps[i] as tf.Tensor, h.weightDecay));
        return tf.mul(u, -h.learningRate);
      });
      return { updates: unflatten(grads, updates), state: { count: state.count + 1, mu: unflatten(grads, nextMu) } };
    },
  };
}
