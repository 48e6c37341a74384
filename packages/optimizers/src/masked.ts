import {
  assertSameStructure,
  assertTransformation,
  flatten,
  type GradientTransformation,
  type GradTree,
  HyperParameterError,
  map,
  type ParamTree,
  type StateTree,
  type TransformResult,
  type Tree,
  TreeMismatchError,
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

/** Throws a HyperParameterError naming `field` (or the path inside it) unless `mask` is a tree (object or array) of booleans or a predicate. */
export function checkMask(field: string, mask: unknown, what: string): void {
  if (typeof mask === 'function') return;
  if (mask !== null && typeof mask === 'object') {
    for (const { path, value } of flatten(mask as Tree<unknown>))
      if (typeof value !== 'boolean')
        throw new HyperParameterError(
          `${field}.${path}`,
          `${what}: the mask at '${path}' must be true or false, got ${value === null ? 'null' : String(value)}`,
        );
    return;
  }
  throw new HyperParameterError(
    field,
    `${what}: ${field} must be a tree of booleans shaped like the parameters, or a function (path, param) => boolean; got ${mask === null ? 'null' : `a ${typeof mask}`}`,
  );
}

/**
 * The paths of `tree` (parameters, or gradients when no parameters are given) that `mask` selects,
 * decided by path: a predicate is called with each leaf's path and tensor and must return a boolean;
 * a tree of booleans is paired with `tree` by key, whatever the order of either's keys.
 *
 * @throws TreeMismatchError naming the path where a boolean mask does not fit, or where a leaf of the
 *   mask (or the predicate's answer) is not true or false.
 */
export function selectedPaths(mask: Mask, tree: Tree<tf.Tensor>): Set<string> {
  const pairs =
    typeof mask === 'function'
      ? flatten(tree).map(({ path, value }) => ({ path, flag: mask(path, value) as unknown, from: 'the mask predicate returned' }))
      : zip(tree, mask as Tree<unknown>).map(({ path, b }) => ({ path, flag: b, from: 'the mask holds' }));
  const out = new Set<string>();
  for (const { path, flag, from } of pairs) {
    if (typeof flag !== 'boolean') throw new TreeMismatchError(path, `mask at '${path || '(root)'}': ${from} ${String(flag)}, not true or false`);
    if (flag) out.add(path);
  }
  return out;
}

/** The selected leaves of `tree` as a flat object keyed by path (in `tree`'s order). */
const subtree = <L>(tree: Tree<L>, selected: ReadonlySet<string>): Tree<L> =>
  Object.fromEntries(
    flatten(tree)
      .filter((e) => selected.has(e.path))
      .map((e) => [e.path, e.value]),
  ) as Tree<L>;

/**
 * Applies `inner` only to the parameters the mask selects; the updates of the others **pass through
 * unchanged** (optax.masked). The inner transformation sees a flat tree keyed by the selected leaves'
 * paths, so its state covers only them. Made for building blocks inside a chain, typically "no
 * weight decay on biases and normalization parameters":
 * `chain(masked(addDecayedWeights(1e-2), decayMask), scaleByAdam(), scaleByLearningRate(1e-3))`.
 *
 * How it differs from `partition` (optax's `partition` / `multi_transform`, in @gradkit/core):
 * `partition({ decay: adamw(), noDecay: adam() }, labels)` gives every parameter exactly one
 * transformation, and an unlabeled parameter is an error. `masked` leaves the unselected ones to the
 * rest of the chain: their "update" here is their raw gradient. So `masked(adam(), mask)` on its own
 * ADDS THE RAW GRADIENT to every masked-out parameter — gradient ascent, with no learning rate. Wrap
 * an optimizer in `masked` only inside a chain whose later links turn the passed-through gradients
 * into descent steps; to give parameter groups different optimizers, use `partition`. (The
 * `Optimizer` refuses a bare `masked` at the top of its transformation for this reason.)
 *
 * The selection is decided by path at every call (from the parameters, or the gradients when no
 * parameters are passed), never kept between calls, so one `masked(...)` shared by several
 * optimizers gives each its own mask, and gradients in another key order than the parameters are
 * paired by key.
 *
 * @param inner - the transformation applied to the selected parameters.
 * @param mask - a tree of booleans with the parameters' structure, or `(path, param) => boolean`.
 * @throws HyperParameterError (field `inner`) when `inner` is not a gradient transformation (e.g. the
 *   factory `adam` instead of `adam()`), (field `mask`) when the mask is neither a tree nor a function;
 *   TreeMismatchError naming the path where a boolean mask does not fit the parameters or a mask
 *   answer is not a boolean.
 * @example
 * ```ts
 * const noDecay = (path: string) => !/(bias|gamma|beta)$/.test(path);
 * const tx = chain(masked(addDecayedWeights(1e-2), noDecay), scaleByAdam(), scaleByLearningRate(1e-3));
 * ```
 */
export function masked(inner: GradientTransformation, mask: Mask): GradientTransformation<MaskedState, { inner: GradientTransformation; mask: Mask }> {
  assertTransformation('inner', inner);
  checkMask('mask', mask, 'masked');
  return {
    name: 'masked',
    options: { inner, mask },
    init: (params) => ({ inner: inner.init(subtree(params, selectedPaths(mask, params))) }),
    update(grads: GradTree, state: MaskedState, params?: ParamTree, extras?): TransformResult<MaskedState> {
      if (params !== undefined) assertSameStructure(params, grads);
      const selected = selectedPaths(mask, params ?? grads);
      const r = inner.update(subtree(grads, selected), state.inner, params ? subtree(params, selected) : undefined, extras);
      const innerUpdates = r.updates as Readonly<Record<string, tf.Tensor>>;
      const updates = map(grads, (g, path) => {
        if (!selected.has(path)) return g;
        if (!Object.hasOwn(innerUpdates, path)) throw new TreeMismatchError(path, `masked: '${inner.name}' returned no update for '${path}'`);
        return innerUpdates[path] as tf.Tensor;
      });
      return { updates, state: { inner: r.state } };
    },
  };
}
