// The evaluation point of the wrappers that keep a second copy of the weights in their state
// (lookahead's slow weights, emaParams' average): eval() and train() exchange it with the parameters.
import { type EvalPoint, type GradTree, type ParamTree, type StateTree, type Tree, unflatten } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { inStructureOf, leaves, slotLeaves } from './internal.js';

/**
 * An `EvalPoint` that exchanges the parameters with the state's `key` slot (a tree shaped like them,
 * paired by key), returning new tensors (clones): the same function both ways, so that
 * `toTrain(toEval(p, s))` gives back `p` and `s` bit for bit.
 */
export function swapPoint<S extends StateTree>(key: string): EvalPoint<S> {
  const swap = (params: ParamTree, state: S): { params: GradTree; state: S } => {
    const slot = (state as Record<string, Tree<tf.Tensor>>)[key] as Tree<tf.Tensor>;
    return {
      params: unflatten(
        params,
        slotLeaves(params, slot).map((s) => tf.clone(s)),
      ),
      state: {
        ...(state as object),
        [key]: inStructureOf(
          slot,
          params,
          leaves(params).map((p) => tf.clone(p)),
        ),
      } as S,
    };
  };
  return { toEval: swap, toTrain: swap };
}
