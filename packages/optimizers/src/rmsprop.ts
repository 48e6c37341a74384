import {
  checkHyper,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  map,
  type ParamTree,
  resolveHyper,
  type TransformResult,
  type Tree,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkFlag, leaves, NON_NEGATIVE, POSITIVE, requireOptions, requireParams, slotLeaves, UNIT_OPEN } from './optim-utils.js';

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
 * @example
 * ```ts
 * const opt = new Optimizer(params, rmsprop({ learningRate: 1e-3, momentum: 0.9, centered: true }));
 * ```
 */
export function rmsprop(options?: RmspropOptions): GradientTransformation<RmspropState, ResolvedRmspropOptions> {
  const given = requireOptions('rmsprop', options, 'rmsprop({ learningRate: 1e-3 })', true);
  const o: ResolvedRmspropOptions = {
    learningRate: checkHyper('learningRate', given.learningRate ?? 1e-2, POSITIVE),
    alpha: checkHyper('alpha', given.alpha ?? 0.99, UNIT_OPEN),
    epsilon: checkHyper('epsilon', given.epsilon ?? 1e-8, POSITIVE),
    momentum: checkHyper('momentum', given.momentum ?? 0, NON_NEGATIVE),
    centered: checkFlag('centered', given.centered, false),
    weightDecay: checkHyper('weightDecay', given.weightDecay ?? 0, NON_NEGATIVE),
  };
  const usesMomentum = o.momentum !== 0;
  const hyperParams = (step: number) => ({
    learningRate: resolveHyper('learningRate', o.learningRate, step, POSITIVE),
    alpha: resolveHyper('alpha', o.alpha, step, UNIT_OPEN),
    epsilon: resolveHyper('epsilon', o.epsilon, step, POSITIVE),
    momentum: resolveHyper('momentum', o.momentum, step, NON_NEGATIVE),
    weightDecay: resolveHyper('weightDecay', o.weightDecay, step, NON_NEGATIVE),
  });
  return {
    name: 'rmsprop',
    options: o,
    hyperParams,
    init(params: ParamTree): RmspropState {
      const zeros = () => map(params, (p) => tf.zerosLike(p));
      return {
        count: 0,
        squareAvg: zeros(),
        ...(o.centered ? { gradAvg: zeros() } : {}),
        ...(usesMomentum ? { momentumBuffer: zeros() } : {}),
      };
    },
    update(grads: GradTree, state: RmspropState, params?: ParamTree): TransformResult<RmspropState> {
      const h = hyperParams(state.count);
      const gs = leaves(grads);
      const ps = h.weightDecay === 0 ? [] : slotLeaves(grads, requireParams('rmsprop', params, 'with weightDecay needs the parameters', 'weightDecay'));
      const squareAvgs = slotLeaves(grads, state.squareAvg);
      const gradAvgs = o.centered ? slotLeaves(grads, state.gradAvg) : [];
      const buffers = usesMomentum ? slotLeaves(grads, state.momentumBuffer) : [];
      const next = { squareAvg: [] as tf.Tensor[], gradAvg: [] as tf.Tensor[], momentumBuffer: [] as tf.Tensor[] };
      const updates = gs.map((grad, i) => {
        // grad = grad.add(param, alpha=weight_decay)
        const g = h.weightDecay === 0 ? grad : tf.add(grad, tf.mul(ps[i] as tf.Tensor, h.weightDecay));
        // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        const v = tf.add(tf.mul(squareAvgs[i] as tf.Tensor, h.alpha), tf.mul(tf.mul(g, g), 1 - h.alpha));
        next.squareAvg.push(v);
        let avg: tf.Tensor;
        if (o.centered) {
          // grad_avg.lerp_(grad, 1 - alpha); avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
          const prev = gradAvgs[i] as tf.Tensor;
          const ga = tf.add(prev, tf.mul(tf.sub(g, prev), 1 - h.alpha));
          next.gradAvg.push(ga);
          avg = tf.sqrt(tf.sub(v, tf.mul(ga, ga)));
        } else avg = tf.sqrt(v);
        avg = tf.add(avg, h.epsilon);
        if (!usesMomentum) return tf.mul(tf.div(g, avg), -h.learningRate);
        // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
        const buf = tf.add(tf.mul(buffers[i] as tf.Tensor, h.momentum), tf.div(g, avg));
        next.momentumBuffer.push(buf);
        return tf.mul(buf, -h.learningRate);
      });
      return {
        updates: unflatten(grads, updates),
        state: {
          count: state.count + 1,
          squareAvg: unflatten(grads, next.squareAvg),
          ...(o.centered ? { gradAvg: unflatten(grads, next.gradAvg) } : {}),
          ...(usesMomentum ? { momentumBuffer: unflatten(grads, next.momentumBuffer) } : {}),
        },
      };
    },
  };
}
