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
  zip,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { BETA, gradLeaves, leavesOf, NON_NEGATIVE, optionsOf, POSITIVE, requireParams } from './adam-common.js';

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
 * @example
 * ```ts
 * const opt = new Optimizer(params, adamax({ learningRate: 2e-3 }));
 * ```
 */
export function adamax(options?: AdamaxOptions): GradientTransformation<AdamaxState, ResolvedAdamaxOptions> {
  const given = optionsOf('adamax', options, 'adamax({ learningRate: 2e-3 })');
  const o: ResolvedAdamaxOptions = {
    learningRate: checkHyper('learningRate', given.learningRate ?? 2e-3, POSITIVE),
    beta1: checkHyper('beta1', given.beta1 ?? 0.9, BETA),
    beta2: checkHyper('beta2', given.beta2 ?? 0.999, BETA),
    epsilon: checkHyper('epsilon', given.epsilon ?? 1e-8, POSITIVE),
    weightDecay: checkHyper('weightDecay', given.weightDecay ?? 0, NON_NEGATIVE),
  };
  const hyperParams = (step: number) => ({
    learningRate: resolveHyper('learningRate', o.learningRate, step, POSITIVE),
    beta1: resolveHyper('beta1', o.beta1, step, BETA),
    beta2: resolveHyper('beta2', o.beta2, step, BETA),
    epsilon: resolveHyper('epsilon', o.epsilon, step, POSITIVE),
    weightDecay: resolveHyper('weightDecay', o.weightDecay, step, NON_NEGATIVE),
  });
  return {
    name: 'adamax',
    options: o,
    hyperParams,
    init: (params: ParamTree): AdamaxState => ({ count: 0, mu: map(params, (p) => tf.zerosLike(p)), nu: map(params, (p) => tf.zerosLike(p)) }),
    update(grads: GradTree, state: AdamaxState, params?: ParamTree): TransformResult<AdamaxState> {
      const h = hyperParams(state.count);
      const t = state.count + 1;
      const clr = h.learningRate / (1 - h.beta1 ** t);
      const gs = gradLeaves(grads, state.mu);
      const mus = leavesOf(state.mu);
      const nus = leavesOf(state.nu);
      const ps = h.weightDecay === 0 ? [] : zip(grads, requireParams('adamax', 'weightDecay', params)).map((e) => e.b);
      const mu: tf.Tensor[] = [];
      const nu: tf.Tensor[] = [];
      const updates = gs.map((g0, i) => {
        const p = ps[i];
        const g = p ? tf.add(g0, tf.mul(p, h.weightDecay)) : g0;
        const m = tf.add(tf.mul(mus[i] as tf.Tensor, h.beta1), tf.mul(g, 1 - h.beta1));
        const u = tf.maximum(tf.mul(nus[i] as tf.Tensor, h.beta2), tf.add(tf.abs(g), h.epsilon));
        mu.push(m);
        nu.push(u);
        return tf.mul(tf.div(m, u), -clr);
      });
      return { updates: unflatten(grads, updates), state: { count: t, mu: unflatten(grads, mu), nu: unflatten(grads, nu) } };
    },
  };
}
