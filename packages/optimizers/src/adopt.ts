import {
  defineHyperParams,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  optionOr,
  type ParamTree,
  type TransformResult,
  type Tree,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  addDecay,
  decayedParams,
  ema,
  flag,
  gradLeaves,
  NON_NEGATIVE,
  type OptionKeys,
  optionsOf,
  POSITIVE,
  stepLeaves,
  UNIT_OPEN,
  zeroState,
} from './internal.js';

/** Options of `adopt` (optax's `optax.contrib.adopt`). Every number may be a Schedule. @example `{ learningRate: 1e-3, beta2: 0.9999 }` */
export interface AdoptOptions {
  /** Step size η (> 0; default 1e-3). */
  readonly learningRate?: HyperParam;
  /** Decay β₁ of the momentum of the normalised gradients (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** Decay β₂ of the running average of squared gradients (in [0, 1); default 0.9999: ADOPT converges with any β₂). */
  readonly beta2?: HyperParam;
  /** ε: the floor of √ν in the normalisation, g / max(√ν, ε) (> 0; default 1e-6). */
  readonly epsilon?: HyperParam;
  /** Nesterov momentum: the update mixes the normalised gradient once more into the new momentum (default false). */
  readonly nesterov?: boolean;
  /** Clip the normalised gradient to ±count^¼ (the clipped ADOPT of the paper's revision; default true, as optax and the authors recommend). */
  readonly useClipping?: boolean;
  /**
   * Decoupled weight decay λ, multiplied by η like the update, θ ← θ − η(m + λθ) (≥ 0; default 0).
   * Not in optax (where it is `chain(adopt, add_decayed_weights)`); the authors' PyTorch ADOPT's
   * `weight_decay` with `decouple=True`.
   */
  readonly weightDecay?: HyperParam;
}

/** The options `adopt` accepts (strict: any other key is an UnknownOptionError). */
const ADOPT_KEYS: OptionKeys<AdoptOptions> = {
  learningRate: true,
  beta1: true,
  beta2: true,
  epsilon: true,
  nesterov: true,
  useClipping: true,
  weightDecay: true,
};

/** `adopt`'s options with the defaults filled in. @example `adopt().options.beta2 // 0.9999` */
export type ResolvedAdoptOptions = Required<AdoptOptions>;

/**
 * State of `adopt` (optax's `ScaleByAdamState` as `scale_by_adopt` keeps it): the step count, the
 * momentum of the normalised gradients and the running average of the squared gradients, per
 * parameter. The fused kernels read these names.
 *
 * @example `{ count: 3, mu: { w: m }, nu: { w: v } }`
 */
export type AdoptState = {
  /** Steps taken (the first only initialises `nu`). */
  readonly count: number;
  /** m: momentum of the clipped, normalised gradients. */
  readonly mu: Tree<tf.Tensor>;
  /** ν: running average of the squared gradients (g² after the first step). */
  readonly nu: Tree<tf.Tensor>;
};

/**
 * ADOPT (Taniguchi et al. 2024, "ADOPT: Modified Adam Can Converge with Any β₂ with the Optimal
 * Rate", NeurIPS 2024): Adam with the gradient normalised by the second moment of the *previous*
 * steps, before the momentum, so the update does not correlate with its own denominator. optax's
 * `optax.contrib.adopt` (`scale_by_adopt` → `scale_by_learning_rate`), step for step, with an
 * optional decoupled weight decay (default 0, which is optax bit for bit).
 *
 * With t = count (0 at the first step), per element:
 * - t = 0: ν ← g²; m stays 0, and the update is −ηλθ (no gradient step: ν had nothing to normalise with);
 * - t ≥ 1: n = clip(g / max(√ν, ε), −t^¼, t^¼);  m ← β₁m + (1−β₁)n;  ν ← β₂ν + (1−β₂)g²;
 *   u = m, or with `nesterov` β₁m + (1−β₁)n (m already updated);  update = −η(u + λθ).
 *
 * Without `useClipping`, n = g / max(√ν, ε). The first step runs the same formulas with β₂ = 0 and
 * β₁ = 1 (clip bound 0), as optax does.
 *
 * float32 operations per element, in order (what the fused kernels mirror), with b₁ = β₁, b₂ = β₂
 * and c = t^¼ (b₁ = 1, b₂ = 0, c = 0 when t = 0), computed on the host:
 * 1. `d = max(sqrt(ν), ε)`; `n = g / d`; with clipping `n = min(max(n, −c), c)`;
 * 2. `m' = m·b₁ + n·(1 − b₁)`;
 * 3. `ν' = ν·b₂ + (g·g)·(1 − b₂)`;
 * 4. `u = m'`, or with `nesterov` `u = m'·b₁ + n·(1 − b₁)`;
 * 5. with λ ≠ 0 `u = u + θ·λ`; `update = u·(−η)`.
 *
 * When to use it: in place of Adam where training is unstable or sensitive to β₂ (small batches,
 * β₂ close to 1), at Adam's learning rates.
 *
 * Reference: optax `optax/contrib/_adopt.py` (google-deepmind/optax); the authors' PyTorch code,
 * iShohei220/adopt, for the weight decay.
 *
 * @throws HyperParameterError for a learning rate or epsilon that is not > 0, a beta outside
 *   [0, 1), a negative weight decay, a `nesterov` or `useClipping` that is not a boolean, or a
 *   weight decay without the parameters at `update`.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (optax's `b1`,
 *   `b2`, `eps`, PyTorch's `lr`, `betas`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, adopt({ learningRate: 1e-3 }));
 * await opt.minimize(loss);
 * ```
 */
export function adopt(options?: AdoptOptions): GradientTransformation<AdoptState, ResolvedAdoptOptions> {
  const given = optionsOf('adopt', options, ADOPT_KEYS, 'adopt({ learningRate: 1e-3 })');
  const hyper = defineHyperParams({
    learningRate: [optionOr('learningRate', given.learningRate, 1e-3), POSITIVE],
    beta1: [optionOr('beta1', given.beta1, 0.9), UNIT_OPEN],
    beta2: [optionOr('beta2', given.beta2, 0.9999), UNIT_OPEN],
    epsilon: [optionOr('epsilon', given.epsilon, 1e-6), POSITIVE],
    weightDecay: [optionOr('weightDecay', given.weightDecay, 0), NON_NEGATIVE],
  });
  const nesterov = flag('nesterov', optionOr('nesterov', given.nesterov, false), false);
  const useClipping = flag('useClipping', optionOr('useClipping', given.useClipping, true), true);
  return {
    name: 'adopt',
    stateChecks: { nu: 'nonNegative' },
    options: { ...hyper.options, nesterov, useClipping },
    hyperParams: hyper.at,
    init: (params: ParamTree): AdoptState => zeroState(params, 'mu', 'nu'),
    update(grads: GradTree, state: AdoptState, params?: ParamTree): TransformResult<AdoptState> {
      const h = hyper.at(state.count);
      const first = state.count === 0;
      // scale_by_adopt: b2_ = where(count > 0, b2, 0), b1_ = where(count > 0, b1, 1), clip value count**0.25.
      const b1 = first ? 1 : h.beta1;
      const b2 = first ? 0 : h.beta2;
      const clip = state.count ** 0.25;
      const gs = gradLeaves(grads, state.mu);
      const ps = decayedParams('adopt', grads, params, h.weightDecay);
      const r = stepLeaves(
        grads,
        { mu: state.mu, nu: state.nu },
        (g, s, i) => {
          const normalised = tf.div(g, tf.maximum(tf.sqrt(s.nu), h.epsilon));
          const n = useClipping ? tf.clipByValue(normalised, -clip, clip) : normalised;
          const m = ema(s.mu, n, b1);
          const u = nesterov ? ema(m, n, b1) : m;
          // add_decayed_weights (λ = 0: none), then scale_by_learning_rate: −η·u.
          return { update: tf.mul(addDecay(u, ps[i], h.weightDecay), -h.learningRate), slots: { mu: m, nu: ema(s.nu, tf.square(g), b2) } };
        },
        gs,
      );
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as AdoptState };
    },
  };
}
