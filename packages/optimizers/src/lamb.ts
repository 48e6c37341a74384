import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  ema,
  NON_NEGATIVE,
  type OptionKeys,
  optionsOf,
  POSITIVE,
  requireParams,
  slotLeaves,
  stepLeaves,
  trustRatio,
  UNIT_OPEN,
  zeroState,
} from './internal.js';

/** Options of `lamb` (optax's `lamb`; PyTorch has no LAMB). Every number may be a Schedule. @example `{ learningRate: 2e-3, weightDecay: 0.01 }` */
export interface LambOptions {
  /** Step size η (> 0; default 1e-3). */
  readonly learningRate?: HyperParam;
  /** β₁: decay of the first-moment average (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** β₂: decay of the second-moment average (in [0, 1); default 0.999). */
  readonly beta2?: HyperParam;
  /** ε added to the root of the bias-corrected second moment (> 0; default 1e-6). */
  readonly epsilon?: HyperParam;
  /** Decoupled weight decay λ, added to the Adam direction before the trust ratio (≥ 0; default 0). */
  readonly weightDecay?: HyperParam;
}

/** The options `Lamb` accepts (strict: any other key is an UnknownOptionError). */
const LAMB_KEYS: OptionKeys<LambOptions> = { learningRate: true, beta1: true, beta2: true, epsilon: true, weightDecay: true };

/** `lamb`'s options with defaults filled in. @example `lamb().options.epsilon // 1e-6` */
export type ResolvedLambOptions = Required<LambOptions>;

/** State of `lamb`: the step count and Adam's two moment averages of every parameter. @example `{ count: 3, mu: { w: m }, nu: { w: v } }` */
export type LambState = {
  /** Steps taken. */
  readonly count: number;
  /** m: exponential average of the gradients (optax's `mu`). */
  readonly mu: Tree<tf.Tensor>;
  /** v: exponential average of the squared gradients (optax's `nu`). */
  readonly nu: Tree<tf.Tensor>;
};

/**
 * LAMB: Adam's direction plus decoupled weight decay, rescaled per tensor by the trust ratio
 * ‖θ‖/‖u‖ so that every layer moves by a step proportional to its own norm (large-batch training).
 * optax's `lamb` (`scale_by_adam` → `add_decayed_weights` → `scale_by_trust_ratio` →
 * `scale_by_learning_rate`), step for step.
 *
 * m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  u ← (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε) + λθ  (t = 1, 2, …);
 * r ← ‖θ‖/‖u‖ per tensor (Frobenius norms), or 1 when either norm is 0;  update = −η r u.
 *
 * Reference: You et al. 2020, "Large Batch Optimization for Deep Learning: Training BERT in 76
 * minutes"; optax `lamb` (`optax/_src/alias.py`; trust ratio as `optax/_src/transform.py`
 * `scale_by_trust_ratio`, without norm clipping). PyTorch has no LAMB.
 *
 * @throws HyperParameterError for a learning rate or ε that is not > 0, β₁ or β₂ outside [0, 1), or a
 *   negative weight decay; at `update`, when the parameters are not passed.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, lamb({ learningRate: 2e-3, weightDecay: 0.01 }));
 * ```
 */
export function lamb(options?: LambOptions): GradientTransformation<LambState, ResolvedLambOptions> {
  const given = optionsOf('lamb', options, LAMB_KEYS, 'lamb({ learningRate: 2e-3 })');
  const hyper = defineHyperParams({
    learningRate: [given.learningRate ?? 1e-3, POSITIVE],
    beta1: [given.beta1 ?? 0.9, UNIT_OPEN],
    beta2: [given.beta2 ?? 0.999, UNIT_OPEN],
    epsilon: [given.epsilon ?? 1e-6, POSITIVE],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
  });
  return {
    name: 'lamb',
    stateChecks: { nu: 'nonNegative' },
    options: hyper.options,
    hyperParams: hyper.at,
    init: (params: ParamTree): LambState => zeroState(params, 'mu', 'nu'),
    update(grads: GradTree, state: LambState, params?: ParamTree): TransformResult<LambState> {
      const h = hyper.at(state.count);
      const ps = slotLeaves(grads, requireParams('lamb', params, 'needs the parameters for its trust ratio'));
      const t = state.count + 1;
      const bc1 = 1 - h.beta1 ** t;
      const bc2 = 1 - h.beta2 ** t;
      const r = stepLeaves(grads, { mu: state.mu, nu: state.nu }, (g, s, i) => {
        const p = ps[i] as tf.Tensor;
        // scale_by_adam: mu = (1 - b1) g + b1 mu; nu = (1 - b2) g² + b2 nu; mu_hat / (sqrt(nu_hat + 0) + eps)
        const m = ema(s.mu, g, h.beta1);
        const v = ema(s.nu, tf.mul(g, g), h.beta2);
        const direction = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), h.epsilon));
        // add_decayed_weights: u + wd · p
        const u = h.weightDecay === 0 ? direction : tf.add(direction, tf.mul(p, h.weightDecay));
        // scale_by_trust_ratio (trust coefficient 1, eps 0), then scale_by_learning_rate: −lr
        return { update: tf.mul(tf.mul(u, trustRatio(p, u, 1, 0)), -h.learningRate), slots: { mu: m, nu: v } };
      });
      return { updates: r.updates, state: { count: t, ...r.slots } as LambState };
    },
  };
}
