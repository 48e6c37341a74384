import {
  defineHyperParams,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  HyperParameterError,
  map,
  type ParamTree,
  type TransformResult,
  type Tree,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { addDecay, decayedParams, NON_NEGATIVE, type OptionKeys, optionsOf, POSITIVE, stepLeaves } from './internal.js';

/** Options of `adagrad` (PyTorch's `torch.optim.Adagrad`). Every number except `initialAccumulatorValue` may be a Schedule. @example `{ learningRate: 0.05, lrDecay: 1e-3 }` */
export interface AdagradOptions {
  /** Step size η (> 0; default 1e-2). */
  readonly learningRate?: HyperParam;
  /** Learning-rate decay δ: the step t (from 1) uses η / (1 + (t − 1)δ) (≥ 0; default 0). */
  readonly lrDecay?: HyperParam;
  /** L2 penalty λ added to the gradient (≥ 0; default 0). */
  readonly weightDecay?: HyperParam;
  /** Initial value of every accumulator (≥ 0; default 0). A number: it is used once, by `init`. */
  readonly initialAccumulatorValue?: number;
  /** ε added to the root of the accumulator, after the square root (> 0; default 1e-10). */
  readonly epsilon?: HyperParam;
}

/** The options `Adagrad` accepts (strict: any other key is an UnknownOptionError). */
const ADAGRAD_KEYS: OptionKeys<AdagradOptions> = { learningRate: true, lrDecay: true, weightDecay: true, initialAccumulatorValue: true, epsilon: true };

/** `adagrad`'s options with defaults filled in. @example `adagrad().options.epsilon // 1e-10` */
export type ResolvedAdagradOptions = Required<AdagradOptions>;

/** State of `adagrad`: the step count and the running sum of squared gradients of every parameter. @example `{ count: 3, sum: { w: s } }` */
export type AdagradState = {
  /** Steps taken. */
  readonly count: number;
  /** s: the sum of squared gradients (PyTorch's state `sum`), starting at `initialAccumulatorValue`. */
  readonly sum: Tree<tf.Tensor>;
};

/**
 * Adagrad: per-coordinate step sizes that shrink with the sum of all past squared gradients.
 * PyTorch's `torch.optim.Adagrad` step for step (`_single_tensor_adagrad`, dense gradients).
 *
 * g ← ∇ + λθ;  η_t ← η / (1 + (t − 1)δ) for the step t = 1, 2, …;  s ← s + g²;  update = −η_t g / (√s + ε).
 *
 * Reference: Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization"; PyTorch `torch.optim.Adagrad`.
 *
 * @throws HyperParameterError for a learning rate or ε that is not > 0, or a negative learning-rate
 *   decay, weight decay or initial accumulator value.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, adagrad({ learningRate: 0.05, initialAccumulatorValue: 0.1 }));
 * ```
 */
export function adagrad(options?: AdagradOptions): GradientTransformation<AdagradState, ResolvedAdagradOptions> {
  const given = optionsOf('adagrad', options, ADAGRAD_KEYS, 'adagrad({ learningRate: 0.05 })');
  const initial = given.initialAccumulatorValue ?? 0;
  if (typeof initial !== 'number')
    throw new HyperParameterError('initialAccumulatorValue', 'initialAccumulatorValue must be a number (it is used once, by init), not a schedule');
  const hyper = defineHyperParams({
    learningRate: [given.learningRate ?? 1e-2, POSITIVE],
    lrDecay: [given.lrDecay ?? 0, NON_NEGATIVE],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
    initialAccumulatorValue: [initial, NON_NEGATIVE],
    epsilon: [given.epsilon ?? 1e-10, POSITIVE],
  });
  return {
    name: 'adagrad',
    stateChecks: { sum: 'nonNegative' },
    options: { ...hyper.options, initialAccumulatorValue: initial },
    hyperParams: hyper.at,
    init: (params: ParamTree): AdagradState => ({ count: 0, sum: map(params, (p) => tf.fill(p.shape, initial, p.dtype)) }),
    update(grads: GradTree, state: AdagradState, params?: ParamTree): TransformResult<AdagradState> {
      const h = hyper.at(state.count);
      const ps = decayedParams('adagrad', grads, params, h.weightDecay);
      // step = count + 1; clr = lr / (1 + (step − 1) · lr_decay)
      const clr = h.learningRate / (1 + state.count * h.lrDecay);
      const r = stepLeaves(grads, { sum: state.sum }, (grad, s, i) => {
        const g = addDecay(grad, ps[i], h.weightDecay);
        // state_sum.addcmul_(grad, grad, value=1); std = state_sum.sqrt().add_(eps); param.addcdiv_(grad, std, value=-clr)
        const sum = tf.add(s.sum, tf.mul(g, g));
        return { update: tf.mul(tf.div(g, tf.add(tf.sqrt(sum), h.epsilon)), -clr), slots: { sum } };
      });
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as AdagradState };
    },
  };
}
