import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { addDecay, decayedParams, ema, NON_NEGATIVE, type OptionKeys, optionsOf, POSITIVE, stepLeaves, UNIT_CLOSED, zeroState } from './internal.js';

/** Options of `adadelta` (PyTorch's `torch.optim.Adadelta`). Every number may be a Schedule. @example `{ learningRate: 1, rho: 0.95 }` */
export interface AdadeltaOptions {
  /** Coefficient η that scales the delta before it is applied (> 0; default 1.0). */
  readonly learningRate?: HyperParam;
  /** Decay ρ of both running averages (in [0, 1]; default 0.9). ρ = 1 freezes them at zero, which makes every step −η g, as PyTorch allows. */
  readonly rho?: HyperParam;
  /** ε added inside both square roots (> 0; default 1e-6). */
  readonly epsilon?: HyperParam;
  /** L2 penalty λ added to the gradient (≥ 0; default 0). */
  readonly weightDecay?: HyperParam;
}

/** The options `Adadelta` accepts (strict: any other key is an UnknownOptionError). */
const ADADELTA_KEYS: OptionKeys<AdadeltaOptions> = { learningRate: true, rho: true, epsilon: true, weightDecay: true };

/** `adadelta`'s options with defaults filled in. @example `adadelta().options.rho // 0.9` */
export type ResolvedAdadeltaOptions = Required<AdadeltaOptions>;

/** State of `adadelta`: the step count and two running averages per parameter. @example `{ count: 3, squareAvg: { w: v }, accDelta: { w: u } }` */
export type AdadeltaState = {
  /** Steps taken. */
  readonly count: number;
  /** v: running average of the squared gradients (PyTorch's `square_avg`). */
  readonly squareAvg: Tree<tf.Tensor>;
  /** u: running average of the squared deltas (PyTorch's `acc_delta`). */
  readonly accDelta: Tree<tf.Tensor>;
};

/**
 * Adadelta: step sizes from the ratio of two running root mean squares, of past deltas and of past
 * gradients, so that the update has the units of the parameter. PyTorch's `torch.optim.Adadelta`
 * step for step (`_single_tensor_adadelta`).
 *
 * g ← ∇ + λθ;  v ← ρv + (1−ρ)g²;  Δ ← √(u + ε) / √(v + ε) · g;  u ← ρu + (1−ρ)Δ²;  update = −η Δ.
 *
 * Reference: Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method"; PyTorch `torch.optim.Adadelta`.
 *
 * @throws HyperParameterError for a learning rate or ε that is not > 0, ρ outside [0, 1], or a
 *   negative weight decay.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, adadelta({ rho: 0.95 }));
 * ```
 */
export function adadelta(options?: AdadeltaOptions): GradientTransformation<AdadeltaState, ResolvedAdadeltaOptions> {
  const given = optionsOf('adadelta', options, ADADELTA_KEYS, 'adadelta({ rho: 0.95 })');
  const hyper = defineHyperParams({
    learningRate: [given.learningRate ?? 1.0, POSITIVE],
    rho: [given.rho ?? 0.9, UNIT_CLOSED],
    epsilon: [given.epsilon ?? 1e-6, POSITIVE],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
  });
  return {
    name: 'adadelta',
    stateChecks: { squareAvg: 'nonNegative', accDelta: 'nonNegative' },
    options: hyper.options,
    hyperParams: hyper.at,
    init: (params: ParamTree): AdadeltaState => zeroState(params, 'squareAvg', 'accDelta'),
    update(grads: GradTree, state: AdadeltaState, params?: ParamTree): TransformResult<AdadeltaState> {
      const h = hyper.at(state.count);
      const ps = decayedParams('adadelta', grads, params, h.weightDecay);
      const r = stepLeaves(grads, { squareAvg: state.squareAvg, accDelta: state.accDelta }, (grad, s, i) => {
        const g = addDecay(grad, ps[i], h.weightDecay);
        // square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        const v = ema(s.squareAvg, tf.mul(g, g), h.rho);
        // std = square_avg.add(eps).sqrt_(); delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
        const std = tf.sqrt(tf.add(v, h.epsilon));
        const delta = tf.mul(tf.div(tf.sqrt(tf.add(s.accDelta, h.epsilon)), std), g);
        // acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho); param.add_(delta, alpha=-lr)
        return { update: tf.mul(delta, -h.learningRate), slots: { squareAvg: v, accDelta: ema(s.accDelta, tf.mul(delta, delta), h.rho) } };
      });
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as AdadeltaState };
    },
  };
}
