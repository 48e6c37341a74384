import {
  checkNumberOption,
  defineHyperParams,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  HyperParameterError,
  optionOr,
  type ParamTree,
  type Schedule,
  type TransformResult,
  type Tree,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  addDecay,
  checkCount,
  decayedParams,
  ema,
  gradLeaves,
  NON_NEGATIVE,
  type OptionKeys,
  optionsOf,
  POSITIVE,
  stepLeaves,
  UNIT_OPEN,
  zeroState,
} from './internal.js';

/** Options of `ademamix` (optax's `optax.contrib.ademamix`). Every number may be a Schedule. @example `{ learningRate: 1e-3, alpha: 8, beta3: 0.9999 }` */
export interface AdemamixOptions {
  /** Step size η (> 0; default 1e-3). */
  readonly learningRate?: HyperParam;
  /** Decay β₁ of the fast average of the gradients (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** Decay β₂ of the running average of squared gradients (in [0, 1); default 0.999). */
  readonly beta2?: HyperParam;
  /**
   * Decay β₃ of the slow average of the gradients (in [0, 1); default 0.9999). The paper warms it up
   * from β₁ over the first steps: give a schedule (the authors' `beta3_scheduler`).
   */
  readonly beta3?: HyperParam;
  /** Weight α of the slow average in the update (≥ 0; default 5, optax's; the paper warms it up from 0 with a schedule, its `alpha_scheduler`). */
  readonly alpha?: HyperParam;
  /** ε added to the denominator after the square root (> 0; default 1e-8). */
  readonly epsilon?: HyperParam;
  /** ε added under the square root (≥ 0; default 0; optax's `eps_root`). */
  readonly epsilonRoot?: HyperParam;
  /** Decoupled weight decay λ, multiplied by η like the update (≥ 0; default 0). */
  readonly weightDecay?: HyperParam;
}

/** The options `ademamix` accepts (strict: any other key is an UnknownOptionError). */
const ADEMAMIX_KEYS: OptionKeys<AdemamixOptions> = {
  learningRate: true,
  beta1: true,
  beta2: true,
  beta3: true,
  alpha: true,
  epsilon: true,
  epsilonRoot: true,
  weightDecay: true,
};

/** `ademamix`'s options with the defaults filled in. @example `ademamix().options.alpha // 5` */
export type ResolvedAdemamixOptions = Required<AdemamixOptions>;

/**
 * State of `ademamix` (optax's `ScaleByAdemamixState` without `count_m2`, which always equals
 * `count`): the step count and three per-parameter averages.
 *
 * @example `{ count: 3, m1: { w }, m2: { w }, nu: { w } }`
 */
export type AdemamixState = {
  /** Steps taken. */
  readonly count: number;
  /** m₁: the fast average of the gradients (decay β₁). */
  readonly m1: Tree<tf.Tensor>;
  /** m₂: the slow average of the gradients (decay β₃), never bias-corrected. */
  readonly m2: Tree<tf.Tensor>;
  /** ν: the running average of the squared gradients (decay β₂). */
  readonly nu: Tree<tf.Tensor>;
};

/**
 * AdEMAMix (Pagliardini, Ablin & Grangier 2024, "The AdEMAMix Optimizer: Better, Faster, Older"):
 * AdamW whose numerator mixes a fast and a very slow average of the gradients, so gradients from
 * thousands of steps ago still count. optax's `optax.contrib.ademamix` (`scale_by_ademamix` →
 * `add_decayed_weights` → `scale_by_learning_rate`), step for step.
 *
 * With t the step counted from 1, and β₃ and α at the step index t − 1:
 * m₁ ← β₁m₁ + (1−β₁)g;  m₂ ← β₃m₂ + (1−β₃)g;  ν ← β₂ν + (1−β₂)g²;
 * update = −η ((m₁/(1−β₁ᵗ) + α·m₂) / (√(ν/(1−β₂ᵗ) + ε_root) + ε) + λθ).
 *
 * float32 operations per element, in order (bias corrections on the host): `m₁' = m₁·β₁ + g·(1−β₁)`;
 * `m₂' = m₂·β₃ + g·(1−β₃)`; `ν' = ν·β₂ + (g·g)·(1−β₂)`; `u = (m₁'/bc₁ + m₂'·α) / (sqrt(ν'/bc₂ + ε_root) + ε)`;
 * with λ ≠ 0 `u = u + θ·λ`; `update = u·(−η)`.
 *
 * When to use it: long runs (the paper's LLM and ViT trainings: tens of thousands of steps and more),
 * where it reaches AdamW's loss with markedly fewer tokens. With few steps, use a smaller β₃ (0.999),
 * and warm α and β₃ up with schedules over most of the run, as the paper does, to avoid early
 * instability.
 *
 * Reference: optax `optax/contrib/_ademamix.py` (google-deepmind/optax); apple/ml-ademamix.
 *
 * @throws HyperParameterError for a learning rate or epsilon that is not > 0, a beta outside
 *   [0, 1), a negative alpha, epsilonRoot or weight decay, or a weight decay without the parameters
 *   at `update`.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (optax's `b1`,
 *   `b2`, `eps`, `eps_root`, `weight_decay`, PyTorch's `lr`, `betas` … map to gradkit's names).
 * @example
 * ```ts
 * const warm = 10_000;
 * const opt = new Optimizer(params, ademamix({ learningRate: 1e-3, alpha: (t) => 8 * Math.min(1, t / warm), weightDecay: 0.1 }));
 * await opt.minimize(loss);
 * ```
 */
export function ademamix(options?: AdemamixOptions): GradientTransformation<AdemamixState, ResolvedAdemamixOptions> {
  const given = optionsOf('ademamix', options, ADEMAMIX_KEYS, 'ademamix({ learningRate: 1e-3 })');
  const hyper = defineHyperParams({
    learningRate: [optionOr('learningRate', given.learningRate, 1e-3), POSITIVE],
    beta1: [optionOr('beta1', given.beta1, 0.9), UNIT_OPEN],
    beta2: [optionOr('beta2', given.beta2, 0.999), UNIT_OPEN],
    beta3: [optionOr('beta3', given.beta3, 0.9999), UNIT_OPEN],
    alpha: [optionOr('alpha', given.alpha, 5), NON_NEGATIVE],
    epsilon: [optionOr('epsilon', given.epsilon, 1e-8), POSITIVE],
    epsilonRoot: [optionOr('epsilonRoot', given.epsilonRoot, 0), NON_NEGATIVE],
    weightDecay: [optionOr('weightDecay', given.weightDecay, 0), NON_NEGATIVE],
  });
  return {
    name: 'ademamix',
    stateChecks: { nu: 'nonNegative' },
    options: hyper.options,
    hyperParams: hyper.at,
    init: (params: ParamTree): AdemamixState => zeroState(params, 'm1', 'm2', 'nu'),
    update(grads: GradTree, state: AdemamixState, params?: ParamTree): TransformResult<AdemamixState> {
      const h = hyper.at(state.count);
      const t = state.count + 1;
      const bc1 = 1 - h.beta1 ** t;
      const bc2 = 1 - h.beta2 ** t;
      const gs = gradLeaves(grads, state.m1);
      const ps = decayedParams('ademamix', grads, params, h.weightDecay);
      const r = stepLeaves(
        grads,
        { m1: state.m1, m2: state.m2, nu: state.nu },
        (g, s, i) => {
          const m1 = ema(s.m1, g, h.beta1);
          const m2 = ema(s.m2, g, h.beta3);
          const nu = ema(s.nu, tf.square(g), h.beta2);
          const num = tf.add(tf.div(m1, bc1), tf.mul(m2, h.alpha));
          const den = tf.add(tf.sqrt(tf.add(tf.div(nu, bc2), h.epsilonRoot)), h.epsilon);
          // add_decayed_weights (λ = 0: none), then scale_by_learning_rate: −η·u.
          return { update: tf.mul(addDecay(tf.div(num, den), ps[i], h.weightDecay), -h.learningRate), slots: { m1, m2, nu } };
        },
        gs,
      );
      return { updates: r.updates, state: { count: t, ...r.slots } as AdemamixState };
    },
  };
}

/** Options of `ademamixWarmup`. @example `{ alpha: 8, beta3: 0.9999, warmupSteps: 100_000 }` */
export interface AdemamixWarmupOptions {
  /** α after the warmup (≥ 0; default 5, `ademamix`'s). */
  readonly alpha?: number;
  /** β₁, where β₃'s warmup starts (in [0, 1); default 0.9, `ademamix`'s). */
  readonly beta1?: number;
  /** β₃ after the warmup (in [0, 1); default 0.9999, `ademamix`'s). */
  readonly beta3?: number;
  /** Steps of the warmup, T_α,β₃ in the paper (an integer ≥ 0; the paper uses the whole run). Required. */
  readonly warmupSteps: number;
}

/** The options `ademamixWarmup` accepts (strict: any other key is an UnknownOptionError). */
const WARMUP_KEYS: OptionKeys<AdemamixWarmupOptions> = { alpha: true, beta1: true, beta3: true, warmupSteps: true };

/**
 * The warmups of α and β₃ that the AdEMAMix paper prescribes (its `alpha_scheduler` and
 * `beta3_scheduler`; apple/ml-ademamix's `linear_warmup_scheduler` and `linear_hl_warmup_scheduler`),
 * as gradkit Schedules to spread into `ademamix`'s options. At step t < T = `warmupSteps`, with a = t/T:
 *
 * - α(t) = a·α (linear from 0);
 * - β₃(t) = 0.5^(1 / (h(t) + 1)), h(t) = (1−a)·f(β₁) + a·f(β₃), f(β) = ln 0.5 / ln(β + 1e-8) − 1: the
 *   half-life of the slow average grows linearly from β₁'s to β₃'s (β₃ itself would jump to a
 *   half-life of thousands of steps at once, which destabilises early training);
 *
 * and α, β₃ from step T on. Steps count from 0, as every gradkit schedule (and optax's `count_m2`).
 *
 * @throws HyperParameterError naming the option: alpha < 0, a beta outside [0, 1), warmupSteps not an
 *   integer ≥ 0 (or missing). UnknownOptionError for an unknown option.
 * @example
 * ```ts
 * const tx = ademamix({ learningRate: 1e-3, ...ademamixWarmup({ alpha: 8, beta3: 0.9999, warmupSteps: totalSteps }) });
 * ```
 */
export function ademamixWarmup(options: AdemamixWarmupOptions): { readonly alpha: Schedule; readonly beta3: Schedule } {
  const given = optionsOf('ademamixWarmup', options, WARMUP_KEYS, 'ademamixWarmup({ alpha: 8, beta3: 0.9999, warmupSteps: 100_000 })', false);
  const alpha = checkNumberOption('alpha', optionOr('alpha', given.alpha, 5), NON_NEGATIVE);
  const beta1 = checkNumberOption('beta1', optionOr('beta1', given.beta1, 0.9), UNIT_OPEN);
  const beta3 = checkNumberOption('beta3', optionOr('beta3', given.beta3, 0.9999), UNIT_OPEN);
  if (given.warmupSteps === undefined)
    throw new HyperParameterError('warmupSteps', 'ademamixWarmup needs warmupSteps: the steps of the warmup (the paper uses the whole run)');
  const warmupSteps = checkCount('warmupSteps', given.warmupSteps, 0);
  const halfLife = (beta: number) => Math.log(0.5) / Math.log(beta + 1e-8) - 1;
  return {
    alpha: (t) => (t < warmupSteps ? (t / warmupSteps) * alpha : alpha),
    beta3: (t) => {
      if (t >= warmupSteps) return beta3;
      const a = t / warmupSteps;
      return 0.5 ** (1 / ((1 - a) * halfLife(beta1) + a * halfLife(beta3) + 1));
    },
  };
}
