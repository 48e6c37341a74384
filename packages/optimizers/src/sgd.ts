import {
  checkHyper,
  flatten,
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
  zip,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

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

/** `sgd`'s options with defaults filled in. @example `sgd({ learningRate: 0.1 }).options.momentum // 0` */
export type ResolvedSgdOptions = Required<SgdOptions>;

/** State of `sgd`: the step count and, with momentum, the momentum buffer of every parameter. @example `{ count: 3, momentum: { w: buf } }` */
export interface SgdState {
  readonly [key: string]: number | Tree<tf.Tensor>;
  /** Steps taken. */
  readonly count: number;
}

const POSITIVE = { min: 0, minExclusive: true } as const;
const NON_NEGATIVE = { min: 0 } as const;
const UNIT = { min: 0, max: 1 } as const;

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
 * @example
 * ```ts
 * const opt = new Optimizer(params, sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }));
 * ```
 */
export function sgd(options: SgdOptions): GradientTransformation<SgdState, ResolvedSgdOptions> {
  if (options === null || typeof options !== 'object') throw new HyperParameterError('options', 'sgd needs an options object, e.g. sgd({ learningRate: 0.1 })');
  const o: ResolvedSgdOptions = {
    learningRate: checkHyper('learningRate', options.learningRate, POSITIVE),
    momentum: checkHyper('momentum', options.momentum ?? 0, NON_NEGATIVE),
    dampening: checkHyper('dampening', options.dampening ?? 0, UNIT),
    nesterov: options.nesterov ?? false,
    weightDecay: checkHyper('weightDecay', options.weightDecay ?? 0, NON_NEGATIVE),
  };
  if (typeof o.nesterov !== 'boolean') throw new HyperParameterError('nesterov', `nesterov must be true or false, got ${String(o.nesterov)}`);
  if (o.nesterov && (o.momentum === 0 || (typeof o.dampening === 'number' && o.dampening !== 0))) {
    throw new HyperParameterError('nesterov', 'Nesterov momentum requires a momentum > 0 and zero dampening (as PyTorch)');
  }
  const usesMomentum = o.momentum !== 0;
  const hyperParams = (step: number) => ({
    learningRate: resolveHyper('learningRate', o.learningRate, step, POSITIVE),
    momentum: resolveHyper('momentum', o.momentum, step, NON_NEGATIVE),
    dampening: resolveHyper('dampening', o.dampening, step, UNIT),
    weightDecay: resolveHyper('weightDecay', o.weightDecay, step, NON_NEGATIVE),
  });
  return {
    name: 'sgd',
    options: o,
    hyperParams,
    init: (params: ParamTree): SgdState => (usesMomentum ? { count: 0, momentum: map(params, (p) => tf.zerosLike(p)) } : { count: 0 }),
    update(grads: GradTree, state: SgdState, params?: ParamTree): TransformResult<SgdState> {
      const h = hyperParams(state.count);
      if (h.weightDecay !== 0 && !params)
        throw new HyperParameterError('weightDecay', 'sgd with weightDecay needs the parameters: call update(grads, state, params)');
      const decayed =
        h.weightDecay === 0 ? flatten(grads).map((e) => e.value) : zip(grads, params as ParamTree).map(({ a: g, b: p }) => tf.add(g, tf.mul(p, h.weightDecay)));
      if (!usesMomentum) {
        return {
          updates: unflatten(
            grads,
            decayed.map((g) => tf.mul(g, -h.learningRate)),
          ),
          state: { count: state.count + 1 },
        };
      }
      const buffers = zip(grads, state.momentum as Tree<tf.Tensor>).map((e) => e.b);
      const nextBuffers = decayed.map((g, i) =>
        state.count === 0 ? tf.clone(g) : tf.add(tf.mul(buffers[i] as tf.Tensor, h.momentum), tf.mul(g, 1 - h.dampening)),
      );
      const directions = o.nesterov ? decayed.map((g, i) => tf.add(g, tf.mul(nextBuffers[i] as tf.Tensor, h.momentum))) : nextBuffers;
      return {
        updates: unflatten(
          grads,
          directions.map((d) => tf.mul(d, -h.learningRate)),
        ),
        state: { count: state.count + 1, momentum: unflatten(grads, nextBuffers) },
      };
    },
  };
}
