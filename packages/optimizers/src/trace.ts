import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { flag, gradLeaves, NON_NEGATIVE, type OptionKeys, optionsOf, stepLeaves, zeroState } from './internal.js';

/** Options of `trace` (optax's `trace`). @example `{ decay: 0.9, nesterov: true }` */
export interface TraceOptions {
  /** Decay μ of the trace (≥ 0; typically 0.9), a number or a Schedule. */
  readonly decay: HyperParam;
  /** Nesterov momentum: emit g + μ·trace instead of the trace (default false). */
  readonly nesterov?: boolean;
}

/** The options `Trace` accepts (strict: any other key is an UnknownOptionError). */
const TRACE_KEYS: OptionKeys<TraceOptions> = { decay: true, nesterov: true };

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
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const tx = chain(trace({ decay: 0.9, nesterov: true }), scaleByLearningRate(0.1));
 * ```
 */
export function trace(options: TraceOptions): GradientTransformation<TraceState, ResolvedTraceOptions> {
  const given = optionsOf('trace', options, TRACE_KEYS, 'trace({ decay: 0.9 })', false);
  const hyper = defineHyperParams({ decay: [given.decay, NON_NEGATIVE] });
  const nesterov = flag('nesterov', given.nesterov, false);
  return {
    name: 'trace',
    options: { ...hyper.options, nesterov },
    hyperParams: hyper.at,
    init: (params: ParamTree): TraceState => zeroState(params, 'trace'),
    update(grads: GradTree, state: TraceState): TransformResult<TraceState> {
      const { decay } = hyper.at(state.count);
      const r = stepLeaves(
        grads,
        { trace: state.trace },
        (g, s) => {
          const next = tf.add(g, tf.mul(s.trace, decay));
          return { update: nesterov ? tf.add(g, tf.mul(next, decay)) : next, slots: { trace: next } };
        },
        gradLeaves(grads, state.trace),
      );
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } as TraceState };
    },
  };
}
