import {
  defineHyperParams,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  HyperParameterError,
  type ParamTree,
  type TransformResult,
  type Tree,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { addDecay, decayedParams, flag, NON_NEGATIVE, type OptionKeys, optionsOf, POSITIVE, slotsOf, stepLeaves, UNIT_CLOSED, zeroState } from './internal.js';

/** Options of `sgd` (PyTorch's `torch.optim.SGD`). Every number may be a Schedule. @example `{ learningRate: 0.1, momentum: 0.9, nesterov: true }` */
export interface SgdOptions {
  /** Step size η (> 0). */
  readonly learningRate: HyperParam;
  /** Momentum factor μ (≥ 0; default 0: plain SGD). */
  readonly momentum?: HyperParam;
  /** Dampening τ of the momentum (in [0, 1]; default 0). */
  readonly dampening?: HyperParam;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0, as PyTorch). */
  readonly nesterov?: boolean;
  /** L2 penalty λ added to the gradient (≥ 0; default 0). */
  readonly weightDecay?: HyperParam;
}

/** The options `Sgd` accepts (strict: any other key is an UnknownOptionError). */
const SGD_KEYS: OptionKeys<SgdOptions> = { learningRate: true, momentum: true, dampening: true, nesterov: true, weightDecay: true };

/** `sgd`'s options with defaults filled in. @example `sgd({ learningRate: 0.1 }).options.momentum // 0` */
export type ResolvedSgdOptions = Required<SgdOptions>;

/** State of `sgd`: the step count and, with momentum, the momentum buffer of every parameter. @example `{ count: 3, momentum: { w: buf } }` */
export interface SgdState {
  readonly [key: string]: number | Tree<tf.Tensor>;
  /** Steps taken. */
  readonly count: number;
}

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
 * decay: PyTorch's `torch.optim.SGD`, step for step.
 *
 * g ← ∇ + λθ;  with momentum: b ← g at the first step, else b ← μb + (1−τ)g;  g ← g + μb (Nesterov) or b;
 * update = −η g.
 *
 * Reference: Sutskever et al. 2013 (momentum, Nesterov); PyTorch `torch.optim.SGD`.
 *
 * @throws HyperParameterError for a learning rate that is not > 0, a negative momentum or weight
 *   decay, a dampening outside [0, 1], or Nesterov without momentum or with dampening.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }));
 * ```
 */
export function sgd(options: SgdOptions): GradientTransformation<SgdState, ResolvedSgdOptions> {
  const given = optionsOf('sgd', options, SGD_KEYS, 'sgd({ learningRate: 0.1 })', false);
  const hyper = defineHyperParams({
    learningRate: [given.learningRate, POSITIVE],
    momentum: [given.momentum ?? 0, NON_NEGATIVE],
    dampening: [given.dampening ?? 0, UNIT_CLOSED],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
  });
  const { momentum, dampening } = hyper.options;
  const nesterov = flag('nesterov', given.nesterov, false);
  if (nesterov && (momentum === 0 || (typeof dampening === 'number' && dampening !== 0))) {
    throw new HyperParameterError('nesterov', 'Nesterov momentum requires a momentum > 0 and zero dampening (as PyTorch)');
  }
  const usesMomentum = momentum !== 0;
  const slots = usesMomentum ? (['momentum'] as const) : [];
  return {
    name: 'sgd',
    options: { ...hyper.options, nesterov },
    hyperParams: hyper.at,
    init: (params: ParamTree): SgdState => zeroState(params, ...slots),
    update(grads: GradTree, state: SgdState, params?: ParamTree): TransformResult<SgdState> {
      const h = hyper.at(state.count);
      const ps = decayedParams('sgd', grads, params, h.weightDecay);
      const r = stepLeaves(grads, slotsOf(state, slots), (grad, s, i) => {
        const g = addDecay(grad, ps[i], h.weightDecay);
        if (!usesMomentum) return { update: tf.mul(g, -h.learningRate), slots: {} };
        const buffer = state.count === 0 ? tf.clone(g) : tf.add(tf.mul(s.momentum, h.momentum), tf.mul(g, 1 - h.dampening));
        const direction = nesterov ? tf.add(g, tf.mul(buffer, h.momentum)) : buffer;
        return { update: tf.mul(direction, -h.learningRate), slots: { momentum: buffer } };
      });
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as SgdState };
    },
  };
}
