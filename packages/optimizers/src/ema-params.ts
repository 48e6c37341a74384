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
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { flag, inStructureOf, type OptionKeys, optionsOf, requireParams, slotLeaves, UNIT_CLOSED } from './internal.js';
import { swapPoint } from './swap-point.js';

/** Options of `emaParams`. @example `{ decay: 0.999 }` */
export interface EmaParamsOptions {
  /** d: the weight of the average against the new parameters (in [0, 1]; default 0.999, torch's; may be a Schedule). */
  readonly decay?: HyperParam;
  /** Bias-corrected average (optax `ema(debias=True)` semantics) instead of PyTorch's constant weight 1 − d (default false). */
  readonly debias?: boolean;
}

const EMA_PARAMS_KEYS: OptionKeys<EmaParamsOptions> = { decay: true, debias: true };

/** `emaParams`'s resolved options. @example `emaParams(adam()).options // { decay: 0.999, debias: false, inner: adam }` */
export interface ResolvedEmaParamsOptions {
  /** d, a number or a Schedule. */
  readonly decay: HyperParam;
  /** Whether the average is bias-corrected. */
  readonly debias: boolean;
  /** The wrapped optimizer. */
  readonly inner: GradientTransformation;
}

/** State of `emaParams`: steps taken, the average of the weights and the wrapped optimizer's state. @example `{ count: 4, ema: { w: a }, inner: { count: 4, … } }` */
export type EmaParamsState = {
  /** Steps taken (averages taken). */
  readonly count: number;
  /** The exponential moving average of the parameters after each step (a copy of them at the start). In eval mode: the trained parameters. */
  readonly ema: Tree<tf.Tensor>;
  /** The wrapped optimizer's state. */
  readonly inner: StateTree;
};

/** Swaps the parameters and their average: evaluation at the average. */
const averagePoint = swapPoint<EmaParamsState>('ema');

/**
 * The weight w_t of the new parameters in the average at step t (1-based): 1 at the first step (the
 * average starts as a copy, torch's `n_averaged == 0`), then 1 − d, or with `debias`
 * (1 − d)/(1 − dᵗ), which equals the bias-corrected zero-started EMA m_t/(1 − dᵗ) of optax.
 */
function weightAt(t: number, d: number, debias: boolean): number {
  if (t === 1) return 1;
  if (!debias) return 1 - d;
  return d === 1 ? 0 : (1 - d) / (1 - d ** t);
}

/**
 * Polyak / exponential moving average of the weights, for evaluation: wraps an optimizer and keeps,
 * beside the parameters it trains, an average of their values after each step. `Optimizer.eval()`
 * puts the average in the parameters (to validate, test or save), `train()` puts the trained values
 * back, exactly (its `evalPoint` swaps the two).
 *
 * θ' = θ + u (u the inner's update);  ema ← θ' at the first step, then ema ← ema + w·(θ' − ema) with
 * w = 1 − d (PyTorch), or w = (1 − d)/(1 − dᵗ) with `debias` (the bias-corrected EMA; t the step, from 1).
 *
 * PyTorch: `torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))`
 * with `update_parameters(model)` after every `optimizer.step()` (pytorch/pytorch
 * `torch/optim/swa_utils.py` at 3348c74c01b3448d82baba8379eb8a63017ba064: a copy when
 * `n_averaged == 0`, then `torch._foreach_lerp_(ema, current, 1 - decay)`). Not optax's `ema`, which
 * averages updates. The parameters themselves follow the inner optimizer unchanged.
 *
 * @param inner - the optimizer whose weights are averaged (`adamw()`, called).
 * @param options - `{ decay = 0.999, debias = false }`; may be omitted.
 * @throws HyperParameterError (field `inner`) when `inner` is not a gradient transformation, (field
 *   `decay`) unless it is in [0, 1] or when it is a Schedule with `debias`, (field `debias`) unless a boolean, (field `options`) when the
 *   options are not an object; UnknownOptionError for any other option (`ema_decay` …).
 * @example
 * ```ts
 * const opt = new Optimizer(params, emaParams(adamw({ learningRate: 1e-3 }), { decay: 0.999 }));
 * for (const batch of batches) await opt.minimize((p) => loss(p, batch));
 * opt.eval(); // the parameters hold the average
 * await evaluate(params);
 * opt.train();
 * ```
 */
export function emaParams(inner: GradientTransformation, options?: EmaParamsOptions): GradientTransformation<EmaParamsState, ResolvedEmaParamsOptions> {
  assertTransformation('inner', inner);
  const given = optionsOf('emaParams', options, EMA_PARAMS_KEYS, 'emaParams(adamw(), { decay: 0.999 })');
  const debias = flag('debias', optionOr('debias', given.debias, false), false);
  const hyper = defineHyperParams({ decay: [optionOr('decay', given.decay, 0.999), UNIT_CLOSED] });
  if (debias && typeof hyper.options.decay === 'function')
    throw new HyperParameterError(
      'decay',
      'emaParams: debias needs a constant decay (the correction 1 − dᵗ assumes one d); give a number, or debias: false with a schedule',
    );
  return {
    name: 'emaParams',
    options: { decay: hyper.options.decay, debias, inner },
    inner,
    hyperParams: hyper.at,
    evalPoint: averagePoint,
    init: (params: ParamTree): EmaParamsState => ({ count: 0, ema: map(params, (p) => tf.clone(p)), inner: inner.init(params) }),
    update(grads: GradTree, state: EmaParamsState, params?: ParamTree, extras?): TransformResult<EmaParamsState> {
      const theta = slotLeaves(grads, requireParams('emaParams', params, 'needs the parameters (it averages them)'));
      const count = state.count + 1;
      const w = weightAt(count, hyper.at(state.count).decay, debias);
      const r = inner.update(grads, state.inner, params, extras);
      const u = slotLeaves(grads, r.updates);
      const ema = slotLeaves(grads, state.ema);
      const next = u.map((ui, i) => {
        const after = tf.add(theta[i] as tf.Tensor, ui);
        const avg = ema[i] as tf.Tensor;
        return w === 1 ? after : tf.add(avg, tf.mul(tf.sub(after, avg), w));
      });
      return { updates: r.updates, state: { count, ema: inStructureOf(state.ema, grads, next), inner: r.state } };
    },
  };
}
