import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  addDecay,
  decayedParams,
  ema,
  gradLeaves,
  NON_NEGATIVE,
  NON_ZERO_DECAY,
  type OptionKeys,
  optionsOf,
  POSITIVE,
  stepLeaves,
  UNIT_OPEN,
  zeroState,
} from './internal.js';

/** Options of `adamax` (PyTorch's `torch.optim.Adamax`). Every number may be a Schedule. @example `{ learningRate: 2e-3, beta2: 0.99 }` */
export interface AdamaxOptions {
  /** Step size η (> 0; default 2e-3). */
  readonly learningRate?: HyperParam;
  /** Decay β₁ of the running average of gradients (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** Decay β₂ of the exponentially weighted infinity norm (in [0, 1); default 0.999). */
  readonly beta2?: HyperParam;
  /** ε added to |g| inside the infinity norm (> 0; default 1e-8). */
  readonly epsilon?: HyperParam;
  /** L2 penalty λ added to the gradient (≥ 0; default 0). */
  readonly weightDecay?: HyperParam;
}

/** The options `Adamax` accepts (strict: any other key is an UnknownOptionError). */
const ADAMAX_KEYS: OptionKeys<AdamaxOptions> = { learningRate: true, beta1: true, beta2: true, epsilon: true, weightDecay: true };

/** `adamax`'s options with the defaults filled in. @example `adamax().options.learningRate // 2e-3` */
export type ResolvedAdamaxOptions = Required<AdamaxOptions>;

/**
 * State of `adamax`: the step count, the running average of the gradients `mu` (PyTorch's
 * `exp_avg`) and the weighted infinity norm `nu` (PyTorch's `exp_inf`).
 *
 * @example `{ count: 3, mu: { w: m }, nu: { w: u } }`
 */
export type AdamaxState = {
  /** Steps taken. */
  readonly count: number;
  /** Running average of the gradients (`exp_avg`). */
  readonly mu: Tree<tf.Tensor>;
  /** Exponentially weighted infinity norm of the gradients (`exp_inf`). */
  readonly nu: Tree<tf.Tensor>;
};

/**
 * Adamax (Kingma & Ba 2015, §7.1): Adam with the infinity norm in place of the second moment,
 * PyTorch's `torch.optim.Adamax` step for step (`_single_tensor_adamax`).
 *
 * g ← ∇ + λθ;  m ← β₁m + (1−β₁)g;  u ← max(β₂u, |g| + ε);  update = −(η / (1−β₁ᵗ)) · m / u,
 * with t the step counted from 1. optax: `adamax` (`scale_by_adamax`).
 *
 * @throws HyperParameterError for a learning rate or epsilon that is not > 0, a beta outside
 *   [0, 1), or a negative weight decay.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, adamax({ learningRate: 2e-3 }));
 * ```
 */
export function adamax(options?: AdamaxOptions): GradientTransformation<AdamaxState, ResolvedAdamaxOptions> {
  const given = optionsOf('adamax', options, ADAMAX_KEYS, 'adamax({ learningRate: 2e-3 })');
  const hyper = defineHyperParams({
    learningRate: [given.learningRate ?? 2e-3, POSITIVE],
    beta1: [given.beta1 ?? 0.9, UNIT_OPEN],
    beta2: [given.beta2 ?? 0.999, UNIT_OPEN],
    epsilon: [given.epsilon ?? 1e-8, POSITIVE],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
  });
  return {
    name: 'adamax',
    stateChecks: { nu: 'nonNegative' },
    options: hyper.options,
    hyperParams: hyper.at,
    init: (params: ParamTree): AdamaxState => zeroState(params, 'mu', 'nu'),
    update(grads: GradTree, state: AdamaxState, params?: ParamTree): TransformResult<AdamaxState> {
      const h = hyper.at(state.count);
      const t = state.count + 1;
      const clr = h.learningRate / (1 - h.beta1 ** t);
      const gs = gradLeaves(grads, state.mu);
      const ps = decayedParams('adamax', grads, params, h.weightDecay, NON_ZERO_DECAY);
      const r = stepLeaves(
        grads,
        { mu: state.mu, nu: state.nu },
        (g0, s, i) => {
          const g = addDecay(g0, ps[i], h.weightDecay);
          const m = ema(s.mu, g, h.beta1);
          const u = tf.maximum(tf.mul(s.nu, h.beta2), tf.add(tf.abs(g), h.epsilon));
          return { update: tf.mul(tf.div(m, u), -clr), slots: { mu: m, nu: u } };
        },
        gs,
      );
      return { updates: r.updates, state: { count: t, ...r.slots } as AdamaxState };
    },
  };
}
