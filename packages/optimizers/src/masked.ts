import {
  flatten,
  type GradientTransformation,
  type GradTree,
  HyperParameterError,
  type ParamTree,
  type StateTree,
  type TransformResult,
  type Tree,
  TreeMismatchError,
  unflatten,
  zip,
} from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';

/** Which parameters a `masked` transformation applies to: a tree of booleans shaped like the parameters, or a predicate. @example `(path) => !path.endsWith('bias')` */
export type Mask = Tree<boolean> | ((path: string, param: tf.Tensor) => boolean);

/** State of `masked`: the inner transformation's state over the selected parameters only. @example `{ inner: adamState }` */
export interface MaskedState {
  readonly [key: string]: StateTree;
  /** The inner state, for a tree keyed by the selected leaves' paths. */
  readonly inner: StateTree;
}

/**
 * Applies `inner` only to the parameters the mask selects; the other updates pass through unchanged
 * (optax.masked). The inner transformation sees a flat tree keyed by the selected leaves' paths, so
 * its state covers only them. Typical use: no weight decay on biases and normalization parameters.
 *
 * @param mask - a tree of booleans with the parameters' structure, or `(path, param) => boolean`,
 *   evaluated once on the parameters given to `init`.
 * @throws TreeMismatchError when a boolean mask does not have the parameters' structure.
 * @example
 * ```ts
 * const tx = chain(masked(addDecayedWeights(1e-2), (path) => !/(bias|gamma|beta)$/.test(path)), adam({ learningRate: 1e-3 }));
 * ```
 */
export function masked(inner: GradientTransformation, mask: Mask): GradientTransformation<MaskedState, { inner: GradientTransformation; mask: Mask }> {
  if (typeof mask !== 'function' && (mask === null || typeof mask !== 'object')) {
    throw new HyperParameterError('mask', 'mask must be a tree of booleans shaped like the parameters, or a function (path, param) => boolean');
  }
  let selected: boolean[] | null = null;
  const select = (params: ParamTree): boolean[] => {
    const entries = flatten(params);
    const flags =
      typeof mask === 'function'
        ? entries.map((e) => mask(e.path, e.value))
        : zip(params, mask).map(({ path, b }) => {
            if (typeof b !== 'boolean') throw new TreeMismatchError(path, `mask at '${path}' must be true or false, got ${String(b)}`);
            return b;
          });
    return flags;
  };
  const subtree = <L>(tree: Tree<L>, flags: boolean[]): Tree<L> =>
    Object.fromEntries(
      flatten(tree)
        .filter((_, i) => flags[i])
        .map((e) => [e.path, e.value]),
    ) as Tree<L>;
  return {
    name: 'masked',
    options: { inner, mask },
    init(params) {
      selected = select(params);
      return { inner: inner.init(subtree(params, selected)) };
    },
    update(grads: GradTree, state: MaskedState, params?: ParamTree, extras?): TransformResult<MaskedState> {
      const flags = selected ?? select(params ?? grads);
      const all = flatten(grads);
      if (all.length !== flags.length)
        throw new TreeMismatchError('', `masked: the gradients have ${all.length} leaves, the mask was built for ${flags.length}`);
      const r = inner.update(subtree(grads, flags), state.inner, params ? subtree(params, flags) : undefined, extras);
      const innerUpdates = flatten(r.updates).map((e) => e.value);
      let k = 0;
      const updates = unflatten(
        grads,
        all.map((e, i) => (flags[i] ? (innerUpdates[k++] as tf.Tensor) : e.value)),
      );
      return { updates, state: { inner: r.state } };
    },
  };
}
