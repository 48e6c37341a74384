import {
  defineHyperParams,
  type GradientTransformation,
  type GradTree,
  type HyperParam,
  type ParamTree,
  type TransformResult,
  unflatten,
  zip,
} from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { NON_NEGATIVE, requireParams } from './internal.js';
import { checkMask, type Mask, selectedPaths } from './masked.js';

/**
 * Which parameters `addDecayedWeights` decays: a `Mask` (a tree of booleans shaped like the
 * parameters, or a predicate on each parameter's path and value); `true`/`false` alone selects all or none.
 *
 * @example `(path) => !/(bias|gamma|beta)$/.test(path)`
 */
export type WeightDecayMask = Mask;

/** `addDecayedWeights`'s options. @example `addDecayedWeights(1e-4).options // { weightDecay: 1e-4, mask: null }` */
export interface ResolvedAddDecayedWeightsOptions {
  /** The weight decay λ (≥ 0), a number or a Schedule. */
  readonly weightDecay: HyperParam;
  /** The mask, or null when every parameter is decayed. */
  readonly mask: WeightDecayMask | null;
}

/** State of `addDecayedWeights`: the step count, at which a scheduled weight decay is evaluated. @example `{ count: 3 }` */
export type AddDecayedWeightsState = {
  /** Steps taken. */
  readonly count: number;
};

/**
 * Adds λθ to the updates (weight decay as a building block): optax's `add_decayed_weights`. Put
 * before `scaleByLearningRate` for decoupled (AdamW-style) decay; the parameters must be passed to
 * `update`. With a mask, only the selected parameters are decayed; the others pass unchanged.
 *
 * update = g + λθ (where the mask selects θ), else g.
 *
 * `chain(scaleByAdam(), addDecayedWeights(λ), scaleByLearningRate(η))` is `adamw({ learningRate: η, weightDecay: λ })`.
 *
 * @param weightDecay - λ ≥ 0, a number or a Schedule (evaluated at the step count).
 * @param mask - which parameters to decay (default: all).
 * @throws HyperParameterError for a negative or non-finite weight decay, or a mask that is neither a
 *   tree nor a function; TreeMismatchError at `update` when a boolean mask does not fit the parameters.
 * @example
 * ```ts
 * const tx = chain(scaleByAdam(), addDecayedWeights(1e-2, (path) => !path.endsWith('bias')), scaleByLearningRate(1e-3));
 * ```
 */
export function addDecayedWeights(
  weightDecay: HyperParam,
  mask?: WeightDecayMask,
): GradientTransformation<AddDecayedWeightsState, ResolvedAddDecayedWeightsOptions> {
  if (mask !== undefined && mask !== null && typeof mask !== 'boolean') checkMask('mask', mask, 'addDecayedWeights');
  const hyper = defineHyperParams({ weightDecay: [weightDecay, NON_NEGATIVE] });
  const o: ResolvedAddDecayedWeightsOptions = { ...hyper.options, mask: mask ?? null };
  return {
    name: 'addDecayedWeights',
    options: o,
    hyperParams: hyper.at,
    init: (): AddDecayedWeightsState => ({ count: 0 }),
    update(grads: GradTree, state: AddDecayedWeightsState, params?: ParamTree): TransformResult<AddDecayedWeightsState> {
      const wd = hyper.at(state.count).weightDecay;
      const given = requireParams('addDecayedWeights', params, 'needs the parameters', 'weightDecay');
      const m = o.mask;
      const selected = m === null || typeof m === 'boolean' ? null : selectedPaths(m, given);
      // Paired by key: each gradient with the parameter (and the mask entry) of its path.
      const updates = zip(grads, given).map(({ path, a: g, b: p }) =>
        m !== false && wd !== 0 && (selected === null || selected.has(path)) ? tf.add(g, tf.mul(p, wd)) : g,
      );
      return { updates: unflatten(grads, updates), state: { count: state.count + 1 } };
    },
  };
}
