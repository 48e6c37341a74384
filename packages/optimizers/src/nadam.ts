import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  addDecay,
  decayedParams,
  ema,
  flag,
  gradLeaves,
  NON_NEGATIVE,
  NON_ZERO_DECAY,
  type OptionKeys,
  optionsOf,
  POSITIVE,
  stepLeaves,
  subDecay,
  UNIT_OPEN,
  zeroState,
} from './internal.js';

/** Options of `nadam` (PyTorch's `torch.optim.NAdam`). Every number may be a Schedule. @example `{ learningRate: 2e-3, momentumDecay: 4e-3 }` */
export interface NadamOptions {
  /** Step size η (> 0; default 2e-3). */
  readonly learningRate?: HyperParam;
  /** Decay β₁ of the running average of gradients (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** Decay β₂ of the running average of squared gradients (in [0, 1); default 0.999). */
  readonly beta2?: HyperParam;
  /** ε added to the denominator after the square root (> 0; default 1e-8). */
  readonly epsilon?: HyperParam;
  /** Weight decay λ (≥ 0; default 0): L2 added to the gradient, or decoupled with `decoupledWeightDecay`. */
  readonly weightDecay?: HyperParam;
  /** Momentum decay ψ of the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)) (≥ 0; default 4e-3). */
  readonly momentumDecay?: HyperParam;
  /** Decoupled weight decay as in AdamW (NAdamW): θ ← θ(1 − ηλ) (default false: L2 on the gradient). */
  readonly decoupledWeightDecay?: boolean;
}

/** The options `Nadam` accepts (strict: any other key is an UnknownOptionError). */
const NADAM_KEYS: OptionKeys<NadamOptions> = {
  learningRate: true,
  beta1: true,
  beta2: true,
  epsilon: true,
  weightDecay: true,
  momentumDecay: true,
  decoupledWeightDecay: true,
};

/** `nadam`'s options with the defaults filled in. @example `nadam().options.momentumDecay // 4e-3` */
export type ResolvedNadamOptions = Required<NadamOptions>;

/**
 * State of `nadam`: the step count and the moment trees (PyTorch's `exp_avg`, `exp_avg_sq`).
 * PyTorch's `mu_product` (Π μᵢ) is not stored: it is a function of the step count (and the
 * schedules), recomputed on the host, so fused kernels that only advance `count` stay exact.
 *
 * @example `{ count: 3, mu: { w: m }, nu: { w: v } }`
 */
export type NadamState = {
  /** Steps taken. */
  readonly count: number;
  /** Running average of the gradients (`exp_avg`). */
  readonly mu: Tree<tf.Tensor>;
  /** Running average of the squared gradients (`exp_avg_sq`). */
  readonly nu: Tree<tf.Tensor>;
};

/**
 * NAdam (Dozat 2016): Adam with Nesterov momentum and PyTorch's momentum schedule,
 * `torch.optim.NAdam` step for step (`_single_tensor_nadam`).
 *
 * μₜ = β₁(1 − ½·0.96^(tψ)), μₜ₊₁ likewise, Πₜ = Π_{i≤t} μᵢ;  g ← ∇ + λθ (or θ ← θ(1 − ηλ) when decoupled);
 * m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  d = √(v / (1−β₂ᵗ)) + ε;
 * update = −η(1−μₜ)/(1−Πₜ) · g/d − ημₜ₊₁/(1−Πₜμₜ₊₁) · m/d, with t the step counted from 1.
 *
 * optax's `nadam` differs (no momentum schedule); this follows PyTorch.
 *
 * @throws HyperParameterError for a learning rate or epsilon that is not > 0, a beta outside
 *   [0, 1), a negative weight decay or momentum decay, or a `decoupledWeightDecay` that is not a boolean.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, nadam({ learningRate: 2e-3 }));
 * ```
 */
export function nadam(options?: NadamOptions): GradientTransformation<NadamState, ResolvedNadamOptions> {
  const given = optionsOf('nadam', options, NADAM_KEYS, 'nadam({ learningRate: 2e-3 })');
  const hyper = defineHyperParams({
    learningRate: [given.learningRate ?? 2e-3, POSITIVE],
    beta1: [given.beta1 ?? 0.9, UNIT_OPEN],
    beta2: [given.beta2 ?? 0.999, UNIT_OPEN],
    epsilon: [given.epsilon ?? 1e-8, POSITIVE],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
    momentumDecay: [given.momentumDecay ?? 4e-3, NON_NEGATIVE],
  });
  const decoupledWeightDecay = flag('decoupledWeightDecay', given.decoupledWeightDecay, false);
  // μ of step t (counted from 1), with the hyper-parameters of the update that takes it (at count t − 1).
  const muAt = (t: number) => {
    const h = hyper.at(t - 1);
    return h.beta1 * (1 - 0.5 * 0.96 ** (t * h.momentumDecay));
  };
  // Πₜ = μ₁⋯μₜ, extended incrementally from the last value asked for (recomputed from 1 when going back).
  let cached = { t: 0, product: 1 };
  const muProduct = (t: number) => {
    let { t: s, product } = t >= cached.t ? cached : { t: 0, product: 1 };
    while (s < t) {
      s++;
      product *= muAt(s);
    }
    cached = { t: s, product };
    return product;
  };
  return {
    name: 'nadam',
    stateChecks: { nu: 'nonNegative' },
    options: { ...hyper.options, decoupledWeightDecay },
    hyperParams: hyper.at,
    init: (params: ParamTree): NadamState => zeroState(params, 'mu', 'nu'),
    update(grads: GradTree, state: NadamState, params?: ParamTree): TransformResult<NadamState> {
      const h = hyper.at(state.count);
      const t = state.count + 1;
      const bc2 = 1 - h.beta2 ** t;
      const mu = h.beta1 * (1 - 0.5 * 0.96 ** (t * h.momentumDecay));
      const muNext = h.beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * h.momentumDecay));
      const product = muProduct(t);
      const gradScale = (-h.learningRate * (1 - mu)) / (1 - product);
      const momentumScale = (-h.learningRate * muNext) / (1 - product * muNext);
      const gs = gradLeaves(grads, state.mu);
      const ps = decayedParams('nadam', grads, params, h.weightDecay, NON_ZERO_DECAY);
      const r = stepLeaves(
        grads,
        { mu: state.mu, nu: state.nu },
        (g0, s, i) => {
          const p = ps[i];
          const g = decoupledWeightDecay ? g0 : addDecay(g0, p, h.weightDecay);
          const m = ema(s.mu, g, h.beta1);
          const v = ema(s.nu, tf.square(g), h.beta2);
          const denom = tf.add(tf.sqrt(tf.div(v, bc2)), h.epsilon);
          const step = tf.div(tf.add(tf.mul(g, gradScale), tf.mul(m, momentumScale)), denom);
          return { update: decoupledWeightDecay ? subDecay(step, p, h.learningRate * h.weightDecay) : step, slots: { mu: m, nu: v } };
        },
        gs,
      );
      return { updates: r.updates, state: { count: t, ...r.slots } as NadamState };
    },
  };
}
