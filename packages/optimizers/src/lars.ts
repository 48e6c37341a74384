import { defineHyperParams, type GradientTransformation, type GradTree, type HyperParam, type ParamTree, type TransformResult, type Tree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { flag, NON_NEGATIVE, type OptionKeys, optionsOf, POSITIVE, requireParams, slotLeaves, slotsOf, stepLeaves, trustRatio, zeroState } from './internal.js';

/** Options of `lars` (optax's `lars`; PyTorch has no LARS). Every number may be a Schedule. @example `{ learningRate: 0.5, weightDecay: 1e-4, nesterov: true }` */
export interface LarsOptions {
  /** Step size η (> 0; required). */
  readonly learningRate: HyperParam;
  /** Momentum μ of the trace of the scaled updates (≥ 0; default 0.9; 0 keeps no trace). */
  readonly momentum?: HyperParam;
  /** Weight decay λ added to the gradient before the trust ratio (≥ 0; default 0). */
  readonly weightDecay?: HyperParam;
  /** Trust coefficient c of the layer-wise trust ratio (> 0; default 0.001). */
  readonly trustCoefficient?: HyperParam;
  /** ε added to the update norm in the trust ratio's denominator (≥ 0; default 0). */
  readonly epsilon?: HyperParam;
  /** Nesterov momentum: apply u + μ·trace instead of the trace (default false). */
  readonly nesterov?: boolean;
}

/** The options `Lars` accepts (strict: any other key is an UnknownOptionError). */
const LARS_KEYS: OptionKeys<LarsOptions> = { learningRate: true, momentum: true, weightDecay: true, trustCoefficient: true, epsilon: true, nesterov: true };

/** `lars`'s options with defaults filled in. @example `lars({ learningRate: 0.1 }).options.trustCoefficient // 0.001` */
export type ResolvedLarsOptions = Required<LarsOptions>;

/** State of `lars`: the step count and, with momentum, the trace of every parameter. @example `{ count: 3, trace: { w: t } }` */
export type LarsState = {
  /** Steps taken. */
  readonly count: number;
  /** The momentum trace of the scaled updates (optax's `trace`), when momentum is not the constant 0. */
  readonly trace?: Tree<tf.Tensor>;
};

/**
 * LARS: layer-wise adaptive rate scaling. Each tensor's (weight-decayed) gradient is rescaled by a
 * trust ratio c·‖θ‖/(‖g‖ + ε) before momentum, for large-batch training. optax's `lars`, step for
 * step, in optax's order: `add_decayed_weights` → `scale_by_trust_ratio(c, ε)` →
 * `scale_by_learning_rate` → `trace(μ, nesterov)` — so the momentum trace accumulates updates that
 * already carry −η (a changing learning rate reaches the trace, unlike PyTorch-style momentum SGD).
 *
 * u ← g + λθ;  r ← c‖θ‖/(‖u‖ + ε) per tensor (Frobenius norms), or 1 when ‖θ‖ = 0 or ‖u‖ = 0;
 * s ← −η r u;  t ← s + μt;  update = s + μt (Nesterov) or t.
 *
 * Reference: You, Gitman & Ginsburg 2017, "Large Batch Training of Convolutional Networks"; optax
 * `lars` (`optax/_src/alias.py`; `scale_by_trust_ratio` in `optax/_src/transform.py`, `trace` in
 * `optax/transforms/_accumulation.py`). PyTorch has no LARS.
 *
 * @throws HyperParameterError for a learning rate or trust coefficient that is not > 0, a negative
 *   momentum, weight decay or ε, or a non-boolean `nesterov`; at `update`, when the parameters are
 *   not passed.
 *   UnknownOptionError for an unknown option, naming it and suggesting the closest (PyTorch's `lr`,
 *   `betas`, `eps`, `weight_decay` … map to gradkit's names).
 * @example
 * ```ts
 * const opt = new Optimizer(params, lars({ learningRate: 0.5, weightDecay: 1e-4 }));
 * ```
 */
export function lars(options: LarsOptions): GradientTransformation<LarsState, ResolvedLarsOptions> {
  const given = optionsOf('lars', options, LARS_KEYS, 'lars({ learningRate: 0.5 })', false);
  const hyper = defineHyperParams({
    learningRate: [given.learningRate, POSITIVE],
    momentum: [given.momentum ?? 0.9, NON_NEGATIVE],
    weightDecay: [given.weightDecay ?? 0, NON_NEGATIVE],
    trustCoefficient: [given.trustCoefficient ?? 0.001, POSITIVE],
    epsilon: [given.epsilon ?? 0, NON_NEGATIVE],
  });
  const nesterov = flag('nesterov', given.nesterov, false);
  const usesTrace = hyper.options.momentum !== 0;
  const slots = usesTrace ? (['trace'] as const) : [];
  return {
    name: 'lars',
    options: { ...hyper.options, nesterov },
    hyperParams: hyper.at,
    init: (params: ParamTree): LarsState => zeroState(params, ...slots),
    update(grads: GradTree, state: LarsState, params?: ParamTree): TransformResult<LarsState> {
      const h = hyper.at(state.count);
      const ps = slotLeaves(grads, requireParams('lars', params, 'needs the parameters for its trust ratio'));
      const r = stepLeaves(grads, slotsOf(state, slots), (g, s, i) => {
        const p = ps[i] as tf.Tensor;
        // add_decayed_weights: g + wd · p
        const u = h.weightDecay === 0 ? g : tf.add(g, tf.mul(p, h.weightDecay));
        // scale_by_trust_ratio(trust_coefficient, eps); scale_by_learning_rate: −lr
        const scaled = tf.mul(tf.mul(u, trustRatio(p, u, h.trustCoefficient, h.epsilon)), -h.learningRate);
        if (!usesTrace) return { update: scaled, slots: {} };
        // trace: new_trace = g + decay · trace; updates = g + decay · new_trace (nesterov) or new_trace
        const trace = tf.add(scaled, tf.mul(s.trace, h.momentum));
        return { update: nesterov ? tf.add(scaled, tf.mul(trace, h.momentum)) : trace, slots: { trace } };
      });
      return { updates: r.updates, state: { count: state.count + 1, ...r.slots } };
    },
  };
}
