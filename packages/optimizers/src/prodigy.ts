import {
  checkNumberOption,
  checkSameTensorType,
  defineHyperParams,
  flatten,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  map,
  optionOr,
  type ParamTree,
  type TransformResult,
  type Tree,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  flag,
  gradLeaves,
  NON_NEGATIVE,
  type OptionKeys,
  optionsOf,
  POSITIVE,
  requireParams,
  slotLeaves,
  stepLeaves,
  UNIT_OPEN,
  zerosLike,
} from './internal.js';

/** Options of `prodigy` (optax's `optax.contrib.prodigy`). Every number may be a Schedule. @example `{ learningRate: 1, weightDecay: 0.01 }` */
export interface ProdigyOptions {
  /** Multiplier of the estimated step size, best a schedule with 1 as its peak, e.g. a warmup then a decay to 0 (> 0; default 1). */
  readonly learningRate?: HyperParam;
  /** Decay β₁ of the running average of the scaled gradients (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** Decay β₂ of the running average of the squared scaled gradients (in [0, 1); default 0.999). */
  readonly beta2?: HyperParam;
  /** Decay β₃ of the sums that estimate D (in [0, 1); default √β₂). */
  readonly beta3?: HyperParam;
  /** ε of the denominator, multiplied by D: √v + D·ε (> 0; default 1e-8). */
  readonly epsilon?: HyperParam;
  /** d₀: the initial (under-)estimate of D, the distance to the solution (> 0; default 1e-6; optax's `estim_lr0`). A number: it is D's starting value. */
  readonly d0?: number;
  /** Factor of every new estimate of D (> 0; default 1; optax's `estim_lr_coef`, PyTorch's `d_coef`). */
  readonly dCoef?: HyperParam;
  /**
   * Largest factor by which D may grow in one step (≥ 1; default Infinity: unbounded, as optax, which
   * has no such option; PyTorch prodigyopt's `growth_rate`). A schedule must stay finite.
   */
  readonly growthRate?: HyperParam;
  /** Decoupled (AdamW-style) weight decay λ, multiplied by the step size D·η·bias correction (≥ 0; default 0). */
  readonly weightDecay?: HyperParam;
  /** Leave η out of the sum of gradients that estimates D, which keeps D from stalling during a warmup of η (default false). */
  readonly safeguardWarmup?: boolean;
}

/** The options `prodigy` accepts (strict: any other key is an UnknownOptionError). */
const PRODIGY_KEYS: OptionKeys<ProdigyOptions> = {
  learningRate: true,
  beta1: true,
  beta2: true,
  beta3: true,
  epsilon: true,
  d0: true,
  dCoef: true,
  growthRate: true,
  weightDecay: true,
  safeguardWarmup: true,
};

/**
 * `prodigy`'s options with the defaults filled in; `growthRate` is absent where it is unbounded (the
 * default), so that a config written from these options stays valid JSON.
 *
 * @example `prodigy().options.beta3 // √0.999`
 */
export type ResolvedProdigyOptions = Required<Omit<ProdigyOptions, 'growthRate'>> & { readonly growthRate?: HyperParam };

/**
 * State of `prodigy` (optax's `ProdigyState`, camel-cased): the step count, per-parameter buffers, the
 * parameters at the first step, and the D estimate and the weighted numerator as float32 scalar
 * tensors (on the device: an update never reads them back).
 *
 * @example `{ count: 3, mu: { w }, nu: { w }, gradSum: { w }, params0: { w }, d: tf.scalar(1e-6), numerator: tf.scalar(0) }`
 */
export type ProdigyState = {
  /** Steps taken. */
  readonly count: number;
  /** Running average of the gradients scaled by D (optax's `exp_avg`). */
  readonly mu: Tree<tf.Tensor>;
  /** Running average of their squares (optax's `exp_avg_sq`). */
  readonly nu: Tree<tf.Tensor>;
  /** s: the β₃-weighted sum of the scaled gradients (optax's `grad_sum`). */
  readonly gradSum: Tree<tf.Tensor>;
  /** θ₀: the parameters when the state was made (optax's `params0`). */
  readonly params0: Tree<tf.Tensor>;
  /** D: the estimate of the distance to the solution, a scalar tensor (optax's `estim_lr`). */
  readonly d: tf.Tensor;
  /** The largest estimate of D so far (prodigyopt's `d_max`), a scalar tensor; only with a finite `growthRate` (D equals it otherwise). */
  readonly dMax?: tf.Tensor;
  /** The β₃-weighted sum of ⟨g, θ₀ − θ⟩ (optax's `numerator_weighted`), a scalar tensor. */
  readonly numerator: tf.Tensor;
};

/** growthRate's range: D may not shrink. */
const AT_LEAST_ONE = { min: 1 };

/**
 * Prodigy (Mishchenko & Defazio 2024, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner",
 * ICML 2024): AdamW whose step size D is estimated while training, so the learning rate is a
 * multiplier around 1. optax's `optax.contrib.prodigy`, step for step, plus PyTorch prodigyopt's
 * `growthRate` (unbounded by default, which is optax's behaviour).
 *
 * With t the step counted from 1, η the learning rate at this step and D the estimate so far:
 * - bc = √(1−β₂ᵗ) / (1−β₁ᵗ);  dlr = D·η·bc;  dg = D·g;
 * - m ← β₁m + (1−β₁)dg;  v ← β₂v + (1−β₂)dg²;  s ← β₃s + (dlr/d₀)·dg (`safeguardWarmup`: (D/d₀)·dg);
 * - r ← β₃r + (D/d₀)·dlr·⟨g, θ₀ − θ⟩ (over every parameter);
 * - D̂ = dCoef·r / ‖s‖₁;  D ← max(D, D̂) (optax); with a finite growthRate, as prodigyopt:
 *   D_max ← max(D_max, D̂), D ← min(D_max, growthRate·(D = d₀ ? D_max : D));
 * - update = −dlr·m / (√v + D·ε) − λ·dlr·θ (D the new estimate in ε's term, the previous one elsewhere).
 *
 * Where ‖s‖₁ = 0 (every gradient zero so far) D is kept; optax would divide 0 by 0 there and train on NaN.
 * D stays on the device (nothing is read back during a step); `optimizer.metrics()['prodigy.d']` reads
 * it without holding up training.
 *
 * When to use it: when you do not want to tune the learning rate (a new architecture, a quick
 * baseline); keep `learningRate` at 1 with a warmup and a decay (`safeguardWarmup: true` with a warmup).
 *
 * Reference: optax `optax/contrib/_prodigy.py` (google-deepmind/optax); konstmish/prodigy
 * (PyTorch's `prodigyopt`) for `growthRate`.
 *
 * @throws HyperParameterError for a learning rate, epsilon, d0 or dCoef that is not > 0, a beta
 *   outside [0, 1), a growthRate below 1, a negative weight decay, a `safeguardWarmup` that is not a
 *   boolean, or an `update` without the parameters (Prodigy always needs them).
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (optax's and
 *   PyTorch's `b1`, `eps`, `lr`, `betas`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, prodigy({ learningRate: cosineDecay({ initial: 1, decaySteps: 10_000 }), weightDecay: 0.01 }));
 * await opt.minimize(loss);
 * ```
 */
export function prodigy(options?: ProdigyOptions): GradientTransformation<ProdigyState, ResolvedProdigyOptions> {
  const given = optionsOf('prodigy', options, PRODIGY_KEYS, 'prodigy({ learningRate: 1 })');
  const beta2 = optionOr('beta2', given.beta2, 0.999);
  const hyper = defineHyperParams({
    learningRate: [optionOr('learningRate', given.learningRate, 1), POSITIVE],
    beta1: [optionOr('beta1', given.beta1, 0.9), UNIT_OPEN],
    beta2: [beta2, UNIT_OPEN],
    // optax: beta3 = beta2 ** 0.5 when not given.
    beta3: [optionOr('beta3', given.beta3, typeof beta2 === 'function' ? (t: number) => Math.sqrt(beta2(t)) : Math.sqrt(beta2)), UNIT_OPEN],
    epsilon: [optionOr('epsilon', given.epsilon, 1e-8), POSITIVE],
    dCoef: [optionOr('dCoef', given.dCoef, 1), POSITIVE],
    weightDecay: [optionOr('weightDecay', given.weightDecay, 0), NON_NEGATIVE],
  });
  const growthRate = optionOr('growthRate', given.growthRate, Number.POSITIVE_INFINITY);
  const growth = growthRate === Number.POSITIVE_INFINITY ? undefined : defineHyperParams({ growthRate: [growthRate, AT_LEAST_ONE] });
  const d0 = checkNumberOption('d0', optionOr('d0', given.d0, 1e-6), POSITIVE);
  const safeguardWarmup = flag('safeguardWarmup', optionOr('safeguardWarmup', given.safeguardWarmup, false), false);
  const at = (step: number) => ({ ...hyper.at(step), d0, growthRate: growth ? growth.at(step).growthRate : Number.POSITIVE_INFINITY });
  return {
    name: 'prodigy',
    stateChecks: { nu: 'nonNegative', d: 'nonNegative', dMax: 'nonNegative' },
    metrics: ['d'],
    options: { ...hyper.options, d0, ...(growth ? { growthRate: growth.options.growthRate } : {}), safeguardWarmup },
    hyperParams: at,
    init: (params: ParamTree): ProdigyState => ({
      count: 0,
      mu: zerosLike(params),
      nu: zerosLike(params),
      gradSum: zerosLike(params),
      params0: map(params, (p) => tf.clone(p)),
      d: tf.scalar(d0),
      ...(growth ? { dMax: tf.scalar(d0) } : {}),
      numerator: tf.scalar(0),
    }),
    update(grads: GradTree, state: ProdigyState, params?: ParamTree): TransformResult<ProdigyState> {
      const h = at(state.count);
      const t = state.count + 1;
      const bc = Math.sqrt(1 - h.beta2 ** t) / (1 - h.beta1 ** t);
      const gs = gradLeaves(grads, state.mu);
      const ps = slotLeaves(
        grads,
        requireParams('prodigy', params, 'needs the parameters (its D estimate measures the distance travelled from the first ones)'),
      );
      const p0 = slotLeaves(grads, state.params0);
      for (const [i, { path }] of flatten(grads).entries()) checkSameTensorType(path, p0[i] as tf.Tensor, ps[i], 'parameter');
      const d = state.d;
      const dlr = tf.mul(d, h.learningRate * bc);
      // ⟨g, θ₀ − θ⟩ over every parameter (optax.tree.vdot).
      const dot = tf.addN(gs.map((g, i) => tf.sum(tf.mul(g, tf.sub(p0[i] as tf.Tensor, ps[i] as tf.Tensor)))));
      const sumScale = safeguardWarmup ? d : dlr;
      const r = stepLeaves(
        grads,
        { mu: state.mu, nu: state.nu, gradSum: state.gradSum },
        (g, s) => {
          const dg = tf.mul(d, g);
          return {
            update: g, // the updates need every new estimate: computed below
            slots: {
              mu: tf.add(tf.mul(s.mu, h.beta1), tf.mul(dg, 1 - h.beta1)),
              nu: tf.add(tf.mul(s.nu, h.beta2), tf.mul(tf.mul(dg, dg), 1 - h.beta2)),
              gradSum: tf.add(tf.mul(s.gradSum, h.beta3), tf.div(tf.mul(sumScale, dg), d0)),
            },
          };
        },
        gs,
      );
      const numerator = tf.add(tf.mul(state.numerator, h.beta3), tf.mul(tf.mul(tf.div(d, d0), dlr), dot));
      const denominator = tf.addN(slotLeaves(grads, r.slots.gradSum).map((s) => tf.sum(tf.abs(s))));
      // ‖s‖₁ = 0 only while every gradient was 0: keep D there (optax's 0/0 would make it NaN).
      const estimate = tf.where(tf.greater(denominator, 0), tf.div(tf.mul(numerator, h.dCoef), denominator), tf.zerosLike(d));
      // optax: D ← max(D, D̂). prodigyopt with a growth rate: D_max ← max(D_max, D̂); D ← min(D_max, D'·growthRate),
      // D' = max(D, D̂) while D is still d₀, else D (the same D when growthRate is ∞, where D = D_max throughout).
      const dMax = tf.maximum(state.dMax ?? d, estimate);
      const dNext = state.dMax ? tf.minimum(dMax, tf.mul(tf.where(tf.equal(d, d0), dMax, d), h.growthRate)) : dMax;
      const denomEps = tf.mul(dNext, h.epsilon);
      const mus = slotLeaves(grads, r.slots.mu);
      const nus = slotLeaves(grads, r.slots.nu);
      const updates = gs.map((_, i) => {
        const step = tf.div(tf.mul(tf.neg(dlr), mus[i] as tf.Tensor), tf.add(tf.sqrt(nus[i] as tf.Tensor), denomEps));
        return h.weightDecay === 0 ? step : tf.sub(step, tf.mul(tf.mul(dlr, h.weightDecay), ps[i] as tf.Tensor));
      });
      return {
        updates: unflatten(grads, updates),
        state: {
          count: t,
          ...(r.slots as Pick<ProdigyState, 'mu' | 'nu' | 'gradSum'>),
          params0: state.params0,
          d: dNext,
          ...(state.dMax ? { dMax } : {}),
          numerator,
        },
      };
    },
  };
}
