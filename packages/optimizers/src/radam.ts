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

/** Options of `radam` (PyTorch's `torch.optim.RAdam`). Every number may be a Schedule. @example `{ learningRate: 1e-3, weightDecay: 1e-2, decoupledWeightDecay: true }` */
export interface RadamOptions {
  /** Step size η (> 0; default 1e-3). */
  readonly learningRate?: HyperParam;
  /** Decay β₁ of the running average of gradients (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** Decay β₂ of the running average of squared gradients (in [0, 1); default 0.999). */
  readonly beta2?: HyperParam;
  /** ε added to √v in the adaptive learning rate (> 0; default 1e-8). */
  readonly epsilon?: HyperParam;
  /** Weight decay λ (≥ 0; default 0): L2 added to the gradient, or decoupled with `decoupledWeightDecay`. */
  readonly weightDecay?: HyperParam;
  /** Decoupled weight decay as in AdamW (RAdamW): θ ← θ(1 − ηλ) (default false: L2 on the gradient). */
  readonly decoupledWeightDecay?: boolean;
}

/** The options `Radam` accepts (strict: any other key is an UnknownOptionError). */
const RADAM_KEYS: OptionKeys<RadamOptions> = { learningRate: true, beta1: true, beta2: true, epsilon: true, weightDecay: true, decoupledWeightDecay: true };

/** `radam`'s options with the defaults filled in. @example `radam().options.decoupledWeightDecay // false` */
export type ResolvedRadamOptions = Required<RadamOptions>;

/** State of `radam`: the step count and the moment trees (PyTorch's `exp_avg`, `exp_avg_sq`). @example `{ count: 3, mu: { w: m }, nu: { w: v } }` */
export type RadamState = {
  /** Steps taken. */
  readonly count: number;
  /** Running average of the gradients (`exp_avg`). */
  readonly mu: Tree<tf.Tensor>;
  /** Running average of the squared gradients (`exp_avg_sq`). */
  readonly nu: Tree<tf.Tensor>;
};

/**
 * RAdam (Liu et al. 2020, "On the variance of the adaptive learning rate and beyond"): Adam whose
 * adaptive step is switched on only once the variance of the adaptive learning rate is tractable,
 * and then rectified; PyTorch's `torch.optim.RAdam` step for step (`_single_tensor_radam`).
 *
 * g ← ∇ + λθ (or θ ← θ(1 − ηλ) when decoupled);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  m̂ = m/(1−β₁ᵗ);
 * ρ∞ = 2/(1−β₂) − 1;  ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ);
 * if ρₜ > 5: r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ)), update = −η · m̂ · r · √(1−β₂ᵗ)/(√v + ε);
 * else update = −η · m̂ (SGD with momentum). t is the step counted from 1. optax: `radam`.
 *
 * @throws HyperParameterError for a learning rate or epsilon that is not > 0, a beta outside
 *   [0, 1), a negative weight decay, or a `decoupledWeightDecay` that is not a boolean.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, radam({ learningRate: 1e-3 }));
 * ```
 */
export function radam(options?: RadamOptions): GradientTransformation<RadamState, ResolvedRadamOptions> {
  const given = optionsOf('radam', options, RADAM_KEYS, 'radam({ learningRate: 1e-3 })');
  const hyper = defineHyperParams({
    learningRate: [given.learningRate ?? 1e-3, POSITIVE],
    beta1: [given.beta1 ?? 0.9, UNIT_OPEN],
    beta2: [given.beta2 ?? 0.999, UNIT_OPEN],
    epsilon: [given.epsilon ?? 1e-8, POSITIVE],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
  });
  const decoupledWeightDecay = flag('decoupledWeightDecay', given.decoupledWeightDecay, false);
  return {
    name: 'radam',
    stateChecks: { nu: 'nonNegative' },
    options: { ...hyper.options, decoupledWeightDecay },
    hyperParams: hyper.at,
    init: (params: ParamTree): RadamState => zeroState(params, 'mu', 'nu'),
    update(grads: GradTree, state: RadamState, params?: ParamTree): TransformResult<RadamState> {
      const h = hyper.at(state.count);
      const t = state.count + 1;
      const bc1 = 1 - h.beta1 ** t;
      const bc2 = 1 - h.beta2 ** t;
      const rhoInf = 2 / (1 - h.beta2) - 1;
      const rhoT = rhoInf - (2 * t * h.beta2 ** t) / bc2;
      const rectified = rhoT > 5;
      const rect = rectified ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
      const gs = gradLeaves(grads, state.mu);
      const ps = decayedParams('radam', grads, params, h.weightDecay, NON_ZERO_DECAY);
      const r = stepLeaves(
        grads,
        { mu: state.mu, nu: state.nu },
        (g0, s, i) => {
          const p = ps[i];
          const g = decoupledWeightDecay ? g0 : addDecay(g0, p, h.weightDecay);
          const m = ema(s.mu, g, h.beta1);
          const v = ema(s.nu, tf.square(g), h.beta2);
          const step = rectified
            ? tf.div(tf.mul(m, (-h.learningRate * rect * Math.sqrt(bc2)) / bc1), tf.add(tf.sqrt(v), h.epsilon))
            : tf.mul(m, -h.learningRate / bc1);
          return { update: decoupledWeightDecay ? subDecay(step, p, h.learningRate * h.weightDecay) : step, slots: { mu: m, nu: v } };
        },
        gs,
      );
      return { updates: r.updates, state: { count: t, ...r.slots } as RadamState };
    },
  };
}
