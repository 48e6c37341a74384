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
  slotsOf,
  stepLeaves,
  subDecay,
  UNIT_OPEN,
  zeroState,
} from './internal.js';

/** Options of `adam` and `adamw` (PyTorch's `torch.optim.Adam` / `AdamW`). Every number may be a Schedule. @example `{ learningRate: 3e-4, beta2: 0.99, amsgrad: true }` */
export interface AdamOptions {
  /** Step size η (> 0; default 1e-3). */
  readonly learningRate?: HyperParam;
  /** Decay β₁ of the running average of gradients (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** Decay β₂ of the running average of squared gradients (in [0, 1); default 0.999). */
  readonly beta2?: HyperParam;
  /** ε added to the denominator after the square root and the bias correction (> 0; default 1e-8). */
  readonly epsilon?: HyperParam;
  /** AMSGrad (Reddi et al. 2018): divide by the running maximum of the second moment (default false). */
  readonly amsgrad?: boolean;
  /**
   * Weight decay λ (≥ 0). `adam`: an L2 penalty added to the gradient, g ← g + λθ (default 0).
   * `adamw`: decoupled, θ ← θ − ηλθ (default 1e-2).
   */
  readonly weightDecay?: HyperParam;
}

/** The options `Adam` accepts (strict: any other key is an UnknownOptionError). */
const ADAM_KEYS: OptionKeys<AdamOptions> = { learningRate: true, beta1: true, beta2: true, epsilon: true, amsgrad: true, weightDecay: true };

/** `adam`'s (or `adamw`'s) options with the defaults filled in. @example `adam().options.beta2 // 0.999` */
export type ResolvedAdamOptions = Required<AdamOptions>;

/**
 * State of `adam` and `adamw`: the step count and per-parameter moment trees. PyTorch's names:
 * `mu` is `exp_avg`, `nu` is `exp_avg_sq`, `nuMax` (AMSGrad only) is `max_exp_avg_sq`.
 *
 * @example `{ count: 3, mu: { w: m }, nu: { w: v } }`
 */
export type AdamState = {
  /** Steps taken. */
  readonly count: number;
  /** Running average of the gradients (`exp_avg`). */
  readonly mu: Tree<tf.Tensor>;
  /** Running average of the squared gradients (`exp_avg_sq`). */
  readonly nu: Tree<tf.Tensor>;
  /** Running maximum of `nu` (`max_exp_avg_sq`), with `amsgrad` only. */
  readonly nuMax?: Tree<tf.Tensor>;
};

/**
 * The Adam update shared by `adam` (L2 weight decay) and `adamw` (decoupled weight decay): PyTorch's
 * `_single_tensor_adam`, with the bias corrections computed on the host from `count`. Validates and
 * resolves the options, whose `weightDecay` defaults to `weightDecayDefault`.
 */
export function adamTransformation(
  name: 'adam' | 'adamw',
  options: AdamOptions | undefined,
  weightDecayDefault: number,
  decoupled: boolean,
): GradientTransformation<AdamState, ResolvedAdamOptions> {
  const given = optionsOf(name, options, ADAM_KEYS, `${name}({ learningRate: 1e-3 })`);
  const hyper = defineHyperParams({
    learningRate: [given.learningRate ?? 1e-3, POSITIVE],
    beta1: [given.beta1 ?? 0.9, UNIT_OPEN],
    beta2: [given.beta2 ?? 0.999, UNIT_OPEN],
    epsilon: [given.epsilon ?? 1e-8, POSITIVE],
    weightDecay: [given.weightDecay ?? weightDecayDefault, NON_NEGATIVE],
  });
  const amsgrad = flag('amsgrad', given.amsgrad, false);
  const slots = amsgrad ? (['mu', 'nu', 'nuMax'] as const) : (['mu', 'nu'] as const);
  return {
    name,
    stateChecks: { nu: 'nonNegative', nuMax: 'nonNegative' },
    options: { ...hyper.options, amsgrad },
    hyperParams: hyper.at,
    init: (params: ParamTree): AdamState => zeroState(params, ...slots),
    update(grads: GradTree, state: AdamState, params?: ParamTree): TransformResult<AdamState> {
      const h = hyper.at(state.count);
      const t = state.count + 1;
      const stepSize = h.learningRate / (1 - h.beta1 ** t);
      const bc2Sqrt = Math.sqrt(1 - h.beta2 ** t);
      const gs = gradLeaves(grads, state.mu);
      const ps = decayedParams(name, grads, params, h.weightDecay, NON_ZERO_DECAY);
      const r = stepLeaves(
        grads,
        slotsOf(state, slots),
        (g0, s, i) => {
          const p = ps[i];
          const g = decoupled ? g0 : addDecay(g0, p, h.weightDecay);
          const m = ema(s.mu, g, h.beta1);
          const v = ema(s.nu, tf.square(g), h.beta2);
          const vMax = amsgrad ? tf.maximum(s.nuMax, v) : v;
          const denom = tf.add(tf.div(tf.sqrt(vMax), bc2Sqrt), h.epsilon);
          const step = tf.mul(tf.div(m, denom), -stepSize);
          return { update: decoupled ? subDecay(step, p, h.learningRate * h.weightDecay) : step, slots: { mu: m, nu: v, nuMax: vMax } };
        },
        gs,
      );
      return { updates: r.updates, state: { count: t, ...r.slots } as AdamState };
    },
  };
}

/**
 * Adam (Kingma & Ba 2015) with optional AMSGrad and L2 weight decay: PyTorch's `torch.optim.Adam`,
 * step for step (`_single_tensor_adam`).
 *
 * g ← ∇ + λθ;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  (AMSGrad: v̂max ← max(v̂max, v), used for v);
 * update = −(η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε), with t the step counted from 1.
 *
 * Note that ε is added after dividing by √(1−β₂ᵗ), as PyTorch (and optax) do. For decoupled weight
 * decay use `adamw`. The returned transformation is named `'adam'`; its state is
 * `{ count, mu, nu, nuMax? }` (PyTorch's `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`).
 *
 * @throws HyperParameterError for a learning rate or epsilon that is not > 0, a beta outside
 *   [0, 1), a negative weight decay, or an `amsgrad` that is not a boolean.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, adam({ learningRate: 1e-3 }));
 * await opt.minimize(loss);
 * ```
 */
export function adam(options?: AdamOptions): GradientTransformation<AdamState, ResolvedAdamOptions> {
  return adamTransformation('adam', options, 0, false);
}
