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
import { flag, gradLeaves, leavesOf, NON_NEGATIVE } from './adam-common.js';

/** Options of `trace` (optax's `trace`). @example `{ decay: 0.9, nesterov: true }` */
export interface TraceOptions {
  /** Decay μ of the trace (≥ 0; typically 0.9), a number or a Schedule. */
  readonly decay: HyperParam;
  /** Nesterov momentum: emit g + μ·trace instead of the trace (default false). */
  readonly nesterov?: boolean;
}

/** `trace`'s options with the defaults filled in. @example `trace({ decay: 0.9 }).options.nesterov // false` */
export type ResolvedTraceOptions = Required<TraceOptions>;

/** State of `trace`: the step count and the trace (momentum buffer) of every parameter. @example `{ count: 3, trace: { w: buf } }` */
export type TraceState = {
  /** Steps taken. */
  readonly count: number;
  /** The trace (optax's `trace`, PyTorch SGD's `momentum_buffer`). */
  readonly trace: Tree<tf.Tensor>;
};

/**
 * Momentum as a building block: optax's `trace`. The trace starts at zero, so the first update is
 * g, as with PyTorch's SGD (whose buffer starts at the first gradient).
 *
 * trace ← g + μ·trace;  update = trace, or g + μ·trace with `nesterov`.
 *
 * `chain(trace({ decay: μ, nesterov }), scaleByLearningRate(η))` is
 * `sgd({ learningRate: η, momentum: μ, nesterov })` (no dampening).
 *
 * @throws HyperParameterError for a negative or non-finite decay, or a `nesterov` that is not a boolean.
 * @example
 * ```ts
 * const tx = chain(trace({ decay: 0.9, nesterov: true }), scaleByLearningRate(0.1));
 * ```
 */
export function trace(options: TraceOptions): GradientTransformation<TraceState, ResolvedTraceOptions> {
  if (options === null || typeof options !== 'object') throw new HyperParameterError('options', 'trace needs an options object, e.g. trace({ decay: 0.9 })');
  const o: ResolvedTraceOptions = {
    decay: checkHyper('decay', options.decay, NON_NEGATIVE),
    nesterov: flag('nesterov', options.nesterov, false),
  };
  const hyperParams = (step: number) => ({ decay: resolveHyper('decay', o.decay, step, NON_NEGATIVE) });
  return {
    name: 'trace',
    options: o,
    hyperParams,
    init: (params: ParamTree): TraceState => ({ count: 0, trace: map(params, (p) => tf.zerosLike(p)) }),
    update(grads: GradTree, state: TraceState): TransformResult<TraceState> {
      const decay = hyperParams(state.count).decay;
      const gs = gradLeaves(grads, state.trace);
      const traces = leavesOf(state.trace);
      const next = gs.map((g, i) => tf.add(g, tf.mul(traces[i] as tf.Tensor, decay)));
      const updates = o.nesterov ? gs.map((g, i) => tf.add(g, tf.mul(next[i] as tf.Tensor, decay))) : next;
      return { updates: unflatten(grads, updates), state: { count: state.count + 1, trace: unflatten(grads, next) } };
    },
  };
}
