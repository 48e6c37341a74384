import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { ema, flag, gradLeaves, NON_NEGATIVE, type OptionKeys, optionsOf, POSITIVE, slotsOf, stepLeaves, UNIT_OPEN, zeroState } from './internal.js';

/** Options of `scaleByAdam` (optax's `scale_by_adam` / `scale_by_amsgrad`). Every number may be a Schedule. @example `{ beta2: 0.99, epsilonRoot: 1e-12 }` */
export interface ScaleByAdamOptions {
  /** Decay β₁ of the running average of the updates (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** Decay β₂ of the running average of the squared updates (in [0, 1); default 0.999). */
  readonly beta2?: HyperParam;
  /** ε added to the denominator after the square root (> 0; default 1e-8). */
  readonly epsilon?: HyperParam;
  /** ε_root added inside the square root (≥ 0; default 0). */
  readonly epsilonRoot?: HyperParam;
  /** AMSGrad as optax's `scale_by_amsgrad`: divide by the running maximum of the bias-corrected v̂ (default false). */
  readonly amsgrad?: boolean;
}

/** The options `ScaleByAdam` accepts (strict: any other key is an UnknownOptionError). */
const SCALE_BY_ADAM_KEYS: OptionKeys<ScaleByAdamOptions> = { beta1: true, beta2: true, epsilon: true, epsilonRoot: true, amsgrad: true };

/** `scaleByAdam`'s options with the defaults filled in. @example `scaleByAdam().options.epsilonRoot // 0` */
export type ResolvedScaleByAdamOptions = Required<ScaleByAdamOptions>;

/** State of `scaleByAdam`: the step count and the moment trees (optax's `mu`, `nu`, `nu_max`). @example `{ count: 3, mu: { w: m }, nu: { w: v } }` */
export type ScaleByAdamState = {
  /** Steps taken. */
  readonly count: number;
  /** Running average of the incoming updates. */
  readonly mu: Tree<tf.Tensor>;
  /** Running average of their squares. */
  readonly nu: Tree<tf.Tensor>;
  /** Running maximum of the bias-corrected v̂, with `amsgrad` only (optax's `nu_max`). */
  readonly nuMax?: Tree<tf.Tensor>;
};

/**
 * Rescales updates as Adam does, without the learning rate: optax's `scale_by_adam` (and, with
 * `amsgrad`, `scale_by_amsgrad`). Chain it with `scaleByLearningRate` to get an optimizer.
 *
 * m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ)  (AMSGrad: v̂ ← v̂max ← max(v̂max, v̂));
 * update = m̂ / (√(v̂ + ε_root) + ε), with t the step counted from 1.
 *
 * Without AMSGrad, `chain(scaleByAdam(), scaleByLearningRate(η))` is `adam({ learningRate: η })`.
 * With it, note that optax takes the maximum of the bias-corrected v̂ while PyTorch (and `adam`)
 * take it of the raw v.
 *
 * @throws HyperParameterError for an epsilon that is not > 0, a beta outside [0, 1), a negative
 *   epsilonRoot, or an `amsgrad` that is not a boolean.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const tx = chain(clipByGlobalNorm(1), scaleByAdam({ beta2: 0.99 }), scaleByLearningRate(3e-4));
 * ```
 */
export function scaleByAdam(options?: ScaleByAdamOptions): GradientTransformation<ScaleByAdamState, ResolvedScaleByAdamOptions> {
  const given = optionsOf('scaleByAdam', options, SCALE_BY_ADAM_KEYS, 'scaleByAdam({ beta1: 0.9, beta2: 0.999 })');
  const hyper = defineHyperParams({
    beta1: [given.beta1 ?? 0.9, UNIT_OPEN],
    beta2: [given.beta2 ?? 0.999, UNIT_OPEN],
    epsilon: [given.epsilon ?? 1e-8, POSITIVE],
    epsilonRoot: [given.epsilonRoot ?? 0, NON_NEGATIVE],
  });
  const amsgrad = flag('amsgrad', given.amsgrad, false);
  const slots = amsgrad ? (['mu', 'nu', 'nuMax'] as const) : (['mu', 'nu'] as const);
  return {
    name: 'scaleByAdam',
    stateChecks: { nu: 'nonNegative', nuMax: 'nonNegative' },
    options: { ...hyper.options, amsgrad },
    hyperParams: hyper.at,
    init: (params: ParamTree): ScaleByAdamState => zeroState(params, ...slots),
    update(grads: GradTree, state: ScaleByAdamState): TransformResult<ScaleByAdamState> {
      const h = hyper.at(state.count);
      const t = state.count + 1;
      const bc1 = 1 - h.beta1 ** t;
      const bc2 = 1 - h.beta2 ** t;
      const r = stepLeaves(
        grads,
        slotsOf(state, slots),
        (g, s) => {
          const m = ema(s.mu, g, h.beta1);
          const v = ema(s.nu, tf.square(g), h.beta2);
          const vHat = amsgrad ? tf.maximum(s.nuMax, tf.div(v, bc2)) : tf.div(v, bc2);
          const root = tf.sqrt(h.epsilonRoot === 0 ? vHat : tf.add(vHat, h.epsilonRoot));
          return { update: tf.div(tf.div(m, bc1), tf.add(root, h.epsilon)), slots: { mu: m, nu: v, nuMax: vHat } };
        },
        gradLeaves(grads, state.mu),
      );
      return { updates: r.updates, state: { count: t, ...r.slots } as ScaleByAdamState };
    },
  };
}
