import {
  checkHyper,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  HyperParameterError,
  map,
  type ParamTree,
  resolveHyper,
  type TransformResult,
  type Tree,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { leaves, NON_NEGATIVE, POSITIVE, requireOptions, requireParams, slotLeaves } from './optim-utils.js';

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
 * @example
 * ```ts
 * const opt = new Optimizer(params, adagrad({ learningRate: 0.05, initialAccumulatorValue: 0.1 }));
 * ```
 */
export function adagrad(options?: AdagradOptions): GradientTransformation<AdagradState, ResolvedAdagradOptions> {
  const given = requireOptions('adagrad', options, 'adagrad({ learningRate: 0.05 })', true);
  const initial = given.initialAccumulatorValue ?? 0;
  if (typeof initial !== 'number')
    throw new HyperParameterError('initialAccumulatorValue', 'initialAccumulatorValue must be a number (it is used once, by init), not a schedule');
  const o: ResolvedAdagradOptions = {
    learningRate: checkHyper('learningRate', given.learningRate ?? 1e-2, POSITIVE),
    lrDecay: checkHyper('lrDecay', given.lrDecay ?? 0, NON_NEGATIVE),
    weightDecay: checkHyper('weightDecay', given.weightDecay ?? 0, NON_NEGATIVE),
    initialAccumulatorValue: checkHyper('initialAccumulatorValue', initial, NON_NEGATIVE),
    epsilon: checkHyper('epsilon', given.epsilon ?? 1e-10, POSITIVE),
  };
  const hyperParams = (step: number) => ({
    learningRate: resolveHyper('learningRate', o.learningRate, step, POSITIVE),
    lrDecay: resolveHyper('lrDecay', o.lrDecay, step, NON_NEGATIVE),
    weightDecay: resolveHyper('weightDecay', o.weightDecay, step, NON_NEGATIVE),
    initialAccumulatorValue: o.initialAccumulatorValue,
    epsilon: resolveHyper('epsilon', o.epsilon, step, POSITIVE),
  });
  return {
    name: 'adagrad',
    options: o,
    hyperParams,
    init: (params: ParamTree): AdagradState => ({ count: 0, sum: map(params, (p) => tf.fill(p.shape, o.initialAccumulatorValue, p.dtype)) }),
    update(grads: GradTree, state: AdagradState, params?: ParamTree): TransformResult<AdagradState> {
      const h = hyperParams(state.count);
      const ps = h.weightDecay === 0 ? [] : slotLeaves(grads, requireParams('adagrad', params, 'with weightDecay needs the parameters', 'weightDecay'));
      const sums = slotLeaves(grads, state.sum);
      // step = count + 1; clr = lr / (1 + (step − 1) · lr_decay)
      const clr = h.learningRate / (1 + state.count * h.lrDecay);
      const nextSums: tf.Tensor[] = [];
      const updates = leaves(grads).map((grad, i) => {
        const g = h.weightDecay === 0 ? grad : tf.add(grad, tf.mul(ps[i] as tf.Tensor, h.weightDecay));
        // state_sum.addcmul_(grad, grad, value=1); std = state_sum.sqrt().add_(eps); param.addcdiv_(grad, std, value=-clr)
        const s = tf.add(sums[i] as tf.Tensor, tf.mul(g, g));
        nextSums.push(s);
        return tf.mul(tf.div(g, tf.add(tf.sqrt(s), h.epsilon)), -clr);
      });
      return { updates: unflatten(grads, updates), state: { count: state.count + 1, sum: unflatten(grads, nextSums) } };
    },
  };
}
