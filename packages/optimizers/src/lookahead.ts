import {
  assertTransformation,
  defineHyperParams,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  HyperParameterError,
  map,
  optionOr,
  type ParamTree,
  type StateTree,
  type TransformResult,
  type Tree,
  unflatten,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { inStructureOf, type OptionKeys, optionsOf, requireParams, slotLeaves } from './internal.js';
import { swapPoint } from './swap-point.js';

/** Options of `lookahead` (optax's `lookahead` arguments). @example `{ syncPeriod: 5, slowStepSize: 0.5 }` */
export interface LookaheadOptions {
  /** k: fast steps between synchronisations (an integer ≥ 1, not a schedule; default 6). */
  readonly syncPeriod?: number;
  /** α: how far the slow weights move towards the fast ones at a synchronisation (in (0, 1]; default 0.5; may be a Schedule). */
  readonly slowStepSize?: HyperParam;
}

const LOOKAHEAD_KEYS: OptionKeys<LookaheadOptions> = { syncPeriod: true, slowStepSize: true };

/** `lookahead`'s resolved options. @example `lookahead(adam()).options // { syncPeriod: 6, slowStepSize: 0.5, inner: adam }` */
export interface ResolvedLookaheadOptions {
  /** Fast steps between synchronisations. */
  readonly syncPeriod: number;
  /** α, a number or a Schedule. */
  readonly slowStepSize: HyperParam;
  /** The fast optimizer. */
  readonly inner: GradientTransformation;
}

/** State of `lookahead`: steps taken, the slow weights and the fast optimizer's state. @example `{ count: 4, slow: { w: s }, inner: { count: 4, … } }` */
export type LookaheadState = {
  /** Steps taken (fast steps; a synchronisation follows every `syncPeriod`-th). */
  readonly count: number;
  /** The slow weights (a copy of the parameters at the start, moved at each synchronisation). In eval mode: the fast weights. */
  readonly slow: Tree<tf.Tensor>;
  /** The fast optimizer's state. */
  readonly inner: StateTree;
};

/** Swaps the fast weights (the parameters) and the slow ones: evaluation at the slow weights, as optax recommends. */
const slowWeightsPoint = swapPoint<LookaheadState>('slow');

/**
 * Lookahead (Zhang et al. 2019, "Lookahead Optimizer: k steps forward, 1 step back"): the wrapped
 * "fast" optimizer takes `syncPeriod` steps, then the slow weights move a fraction α of the way to the
 * fast ones and the fast weights restart from there. As optax's `lookahead`, but on gradkit's single
 * parameter tree: the parameters hold the fast weights, the state the slow ones.
 *
 * Every step: u = inner's update. On every `syncPeriod`-th step (count + 1 ≡ 0 mod k):
 * d = θ + u − slow;  slow ← slow + α·d;  update = u − (1 − α)·d  (so θ + update = slow + α·d, the new slow);
 * on the other steps the update is u and slow is unchanged.
 *
 * Transcribes optax `lookahead` / `_lookahead_update` (google-deepmind/optax, `optax/_src/lookahead.py`
 * at 006cebd2adddd064757543329c83eaed0890ed82; `reset_state=False`). Its `evalPoint` swaps the
 * parameters and the slow weights (`Optimizer.eval()` evaluates at the slow weights, which generalise
 * better; `train()` swaps back, exactly). Do not modify its updates before they are applied (optax's
 * warning): chain clipping before it, not after.
 *
 * @param inner - the fast optimizer (`adam()`, called).
 * @param options - `{ syncPeriod = 6, slowStepSize = 0.5 }`; may be omitted.
 * @throws HyperParameterError (field `inner`) when `inner` is not a gradient transformation, (field
 *   `syncPeriod`) unless it is an integer ≥ 1, (field `slowStepSize`) unless it is in (0, 1], (field
 *   `options`) when the options are not an object; UnknownOptionError for any other option (`k`,
 *   `alpha` of pytorch-optimizer's Lookahead, `sync_period` …).
 * @example
 * ```ts
 * const opt = new Optimizer(params, lookahead(adam({ learningRate: 1e-3 }), { syncPeriod: 5, slowStepSize: 0.5 }));
 * for (const batch of batches) await opt.minimize((p) => loss(p, batch));
 * opt.eval(); // the parameters hold the slow weights
 * await evaluate(params);
 * opt.train();
 * ```
 */
export function lookahead(inner: GradientTransformation, options?: LookaheadOptions): GradientTransformation<LookaheadState, ResolvedLookaheadOptions> {
  assertTransformation('inner', inner);
  const given = optionsOf('lookahead', options, LOOKAHEAD_KEYS, 'lookahead(adam(), { syncPeriod: 6, slowStepSize: 0.5 })');
  const k = optionOr('syncPeriod', given.syncPeriod, 6);
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1)
    throw new HyperParameterError(
      'syncPeriod',
      `syncPeriod must be an integer ≥ 1 (fast steps between synchronisations, a number, not a schedule), got ${typeof k === 'function' ? 'a function' : String(k)}`,
    );
  const hyper = defineHyperParams({ slowStepSize: [optionOr('slowStepSize', given.slowStepSize, 0.5), { min: 0, minExclusive: true, max: 1 }] });
  return {
    name: 'lookahead',
    options: { syncPeriod: k, slowStepSize: hyper.options.slowStepSize, inner },
    inner,
    hyperParams: (step: number) => ({ syncPeriod: k, ...hyper.at(step) }),
    evalPoint: slowWeightsPoint,
    init: (params: ParamTree): LookaheadState => ({ count: 0, slow: map(params, (p) => tf.clone(p)), inner: inner.init(params) }),
    update(grads: GradTree, state: LookaheadState, params?: ParamTree, extras?): TransformResult<LookaheadState> {
      const fast = slotLeaves(grads, requireParams('lookahead', params, 'needs the parameters (the fast weights)'));
      const alpha = hyper.at(state.count).slowStepSize;
      const r = inner.update(grads, state.inner, params, extras);
      const count = state.count + 1;
      if (count % k !== 0) return { updates: r.updates, state: { count, slow: state.slow, inner: r.state } };
      const u = slotLeaves(grads, r.updates);
      const slow = slotLeaves(grads, state.slow);
      const diffs = u.map((ui, i) => tf.sub(tf.add(fast[i] as tf.Tensor, ui), slow[i] as tf.Tensor));
      return {
        updates: unflatten(
          grads,
          u.map((ui, i) => tf.sub(ui, tf.mul(diffs[i] as tf.Tensor, 1 - alpha))),
        ),
        state: {
          count,
          slow: inStructureOf(
            state.slow,
            grads,
            slow.map((s, i) => tf.add(s, tf.mul(diffs[i] as tf.Tensor, alpha))),
          ),
          inner: r.state,
        },
      };
    },
  };
}
