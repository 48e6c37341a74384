import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { ema, gradLeaves, NON_NEGATIVE, type OptionKeys, optionsOf, POSITIVE, stepLeaves, UNIT_OPEN, zeroState } from './internal.js';

/** Options of `adabelief` (optax's `adabelief`). Every number may be a Schedule. @example `{ learningRate: 1e-3, epsilon: 1e-12 }` */
export interface AdabeliefOptions {
  /** Step size η (> 0; default 1e-3; optax requires it). */
  readonly learningRate?: HyperParam;
  /** Decay β₁ of the running average of gradients (in [0, 1); default 0.9). */
  readonly beta1?: HyperParam;
  /** Decay β₂ of the running average of the squared prediction error (in [0, 1); default 0.999). */
  readonly beta2?: HyperParam;
  /** ε added to the denominator after the square root (> 0; default 1e-16, as optax). */
  readonly epsilon?: HyperParam;
  /** ε_root added to the second moment s at every step, inside the state (≥ 0; default 1e-16, as optax). */
  readonly epsilonRoot?: HyperParam;
}

/** The options `Adabelief` accepts (strict: any other key is an UnknownOptionError). */
const ADABELIEF_KEYS: OptionKeys<AdabeliefOptions> = { learningRate: true, beta1: true, beta2: true, epsilon: true, epsilonRoot: true };

/** `adabelief`'s options with the defaults filled in. @example `adabelief().options.epsilon // 1e-16` */
export type ResolvedAdabeliefOptions = Required<AdabeliefOptions>;

/** State of `adabelief`: the step count, the first moment `mu` and the second central moment `nu` (s in the paper). @example `{ count: 3, mu: { w: m }, nu: { w: s } }` */
export type AdabeliefState = {
  /** Steps taken. */
  readonly count: number;
  /** Running average of the gradients (m). */
  readonly mu: Tree<tf.Tensor>;
  /** Running average of the squared prediction error (g − m)², plus ε_root per step (s). */
  readonly nu: Tree<tf.Tensor>;
};

/**
 * AdaBelief (Zhuang et al. 2020, "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
 * Gradients"): Adam whose second moment tracks the deviation of the gradient from its running
 * average. Follows optax's `adabelief` (`scale_by_belief` then `scale_by_learning_rate`) and its
 * defaults; PyTorch has no AdaBelief.
 *
 * m ← β₁m + (1−β₁)g;  s ← β₂s + (1−β₂)(g − m)² + ε_root (with the new m);
 * update = −η · (m/(1−β₁ᵗ)) / (√(s/(1−β₂ᵗ)) + ε), with t the step counted from 1.
 *
 * The defaults ε = ε_root = 1e-16 are optax's (the paper's reference code uses 1e-16 too); in float32
 * ε_root is below the resolution of s for typical gradients, so it mainly keeps s > 0.
 *
 * @throws HyperParameterError for a learning rate or epsilon that is not > 0, a beta outside
 *   [0, 1), or a negative epsilonRoot.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, adabelief({ learningRate: 1e-3 }));
 * ```
 */
export function adabelief(options?: AdabeliefOptions): GradientTransformation<AdabeliefState, ResolvedAdabeliefOptions> {
  const given = optionsOf('adabelief', options, ADABELIEF_KEYS, 'adabelief({ learningRate: 1e-3 })');
  const hyper = defineHyperParams({
    learningRate: [given.learningRate ?? 1e-3, POSITIVE],
    beta1: [given.beta1 ?? 0.9, UNIT_OPEN],
    beta2: [given.beta2 ?? 0.999, UNIT_OPEN],
    epsilon: [given.epsilon ?? 1e-16, POSITIVE],
    epsilonRoot: [given.epsilonRoot ?? 1e-16, NON_NEGATIVE],
  });
  return {
    name: 'adabelief',
    stateChecks: { nu: 'nonNegative' },
    options: hyper.options,
    hyperParams: hyper.at,
    init: (params: ParamTree): AdabeliefState => zeroState(params, 'mu', 'nu'),
    update(grads: GradTree, state: AdabeliefState): TransformResult<AdabeliefState> {
      const h = hyper.at(state.count);
      const t = state.count + 1;
      const bc1 = 1 - h.beta1 ** t;
      const bc2 = 1 - h.beta2 ** t;
      const r = stepLeaves(
        grads,
        { mu: state.mu, nu: state.nu },
        (g, s) => {
          const m = ema(s.mu, g, h.beta1);
          const belief = tf.add(ema(s.nu, tf.square(tf.sub(g, m)), h.beta2), h.epsilonRoot);
          return { update: tf.div(tf.mul(m, -h.learningRate / bc1), tf.add(tf.sqrt(tf.div(belief, bc2)), h.epsilon)), slots: { mu: m, nu: belief } };
        },
        gradLeaves(grads, state.mu),
      );
      return { updates: r.updates, state: { count: t, ...r.slots } as AdabeliefState };
    },
  };
}
