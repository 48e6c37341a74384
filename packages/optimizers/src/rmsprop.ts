import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  addDecay,
  decayedParams,
  ema,
  flag,
  NON_NEGATIVE,
  type OptionKeys,
  optionsOf,
  POSITIVE,
  slotsOf,
  stepLeaves,
  UNIT_OPEN,
  zeroState,
} from './internal.js';

/** Options of `rmsprop` (PyTorch's `torch.optim.RMSprop`). Every number may be a Schedule. @example `{ learningRate: 1e-3, momentum: 0.9, centered: true }` */
export interface RmspropOptions {
  /** Step size η (> 0; default 1e-2). */
  readonly learningRate?: HyperParam;
  /** Smoothing constant α of the squared-gradient average (in [0, 1); default 0.99). */
  readonly alpha?: HyperParam;
  /** ε added to the root of the average, after the square root (> 0; default 1e-8). */
  readonly epsilon?: HyperParam;
  /** Momentum factor μ (≥ 0; default 0: no momentum buffer). */
  readonly momentum?: HyperParam;
  /** Centered RMSprop: normalise by an estimate of the gradient's variance instead of its second moment (default false). */
  readonly centered?: boolean;
  /** L2 penalty λ added to the gradient (≥ 0; default 0). */
  readonly weightDecay?: HyperParam;
}

/** The options `Rmsprop` accepts (strict: any other key is an UnknownOptionError). */
const RMSPROP_KEYS: OptionKeys<RmspropOptions> = { learningRate: true, alpha: true, epsilon: true, momentum: true, centered: true, weightDecay: true };

/** `rmsprop`'s options with defaults filled in. @example `rmsprop().options.alpha // 0.99` */
export type ResolvedRmspropOptions = Required<RmspropOptions>;

/**
 * State of `rmsprop`: the step count, the squared-gradient average, and (when used) the gradient
 * average of centered RMSprop and the momentum buffer — trees mirroring the parameters.
 *
 * @example `{ count: 3, squareAvg: { w: v }, momentumBuffer: { w: b } }`
 */
export type RmspropState = {
  /** Steps taken. */
  readonly count: number;
  /** v: exponential average of the squared gradients (PyTorch's `square_avg`). */
  readonly squareAvg: Tree<tf.Tensor>;
  /** ḡ: exponential average of the gradients (`grad_avg`), with `centered` only. */
  readonly gradAvg?: Tree<tf.Tensor>;
  /** b: momentum buffer (`momentum_buffer`), when momentum is not the constant 0. */
  readonly momentumBuffer?: Tree<tf.Tensor>;
};

/**
 * RMSprop: divides the gradient by a running root mean square of recent gradients; optionally
 * centered, with momentum and L2 weight decay. PyTorch's `torch.optim.RMSprop` step for step
 * (`_single_tensor_rmsprop`: ε is added after the square root).
 *
 * g ← ∇ + λθ;  v ← αv + (1−α)g²;  centered: ḡ ← αḡ + (1−α)g, d ← √(v − ḡ²) + ε, else d ← √v + ε;
 * with momentum: b ← μb + g/d, update = −η b;  without: update = −η g/d.
 *
 * Reference: Hinton, Lecture 6e of "Neural Networks for Machine Learning" (2012); Graves 2013
 * (centered); PyTorch `torch.optim.RMSprop`. optax's `rmsprop` adds ε inside the root and differs.
 *
 * @throws HyperParameterError for a learning rate or ε that is not > 0, α outside [0, 1), a negative
 *   momentum or weight decay, or a non-boolean `centered`.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, rmsprop({ learningRate: 1e-3, momentum: 0.9, centered: true }));
 * ```
 */
export function rmsprop(options?: RmspropOptions): GradientTransformation<RmspropState, ResolvedRmspropOptions> {
  const given = optionsOf('rmsprop', options, RMSPROP_KEYS, 'rmsprop({ learningRate: 1e-3 })');
  const hyper = defineHyperParams({
    learningRate: [given.learningRate ?? 1e-2, POSITIVE],
    alpha: [given.alpha ?? 0.99, UNIT_OPEN],
    epsilon: [given.epsilon ?? 1e-8, POSITIVE],
    momentum: [given.momentum ?? 0, NON_NEGATIVE],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
  });
  const centered = flag('centered', given.centered, false);
  const usesMomentum = hyper.options.momentum !== 0;
  const slots = ['squareAvg', ...(centered ? ['gradAvg'] : []), ...(usesMomentum ? ['momentumBuffer'] : [])] as ('squareAvg' | 'gradAvg' | 'momentumBuffer')[];
  return {
    name: 'rmsprop',
    stateChecks: { squareAvg: 'nonNegative' },
    options: { ...hyper.options, centered },
    hyperParams: hyper.at,
    init: (params: ParamTree): RmspropState => zeroState(params, ...slots),
    update(grads: GradTree, state: RmspropState, params?: ParamTree): TransformResult<RmspropState> {
      const h = hyper.at(state.count);
      const ps = decayedParams('rmsprop', grads, params, h.weightDecay);
      const r = stepLeaves(grads, slotsOf(state, slots), (grad, s, i) => {
        // grad = grad.add(param, alpha=weight_decay)
        const g = addDecay(grad, ps[i], h.weightDecay);
        // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        const v = ema(s.squareAvg, tf.mul(g, g), h.alpha);
        // centered: grad_avg.lerp_(grad, 1 - alpha); avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_(); then avg += eps
        const ga = centered ? tf.add(s.gradAvg, tf.mul(tf.sub(g, s.gradAvg), 1 - h.alpha)) : undefined;
        const avg = tf.add(ga ? tf.sqrt(tf.sub(v, tf.mul(ga, ga))) : tf.sqrt(v), h.epsilon);
        if (!usesMomentum) return { update: tf.mul(tf.div(g, avg), -h.learningRate), slots: { squareAvg: v, gradAvg: ga } };
        // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
        const buf = tf.add(tf.mul(s.momentumBuffer, h.momentum), tf.div(g, avg));
        return { update: tf.mul(buf, -h.learningRate), slots: { squareAvg: v, gradAvg: ga, momentumBuffer: buf } };
      });
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as RmspropState };
    },
  };
}
