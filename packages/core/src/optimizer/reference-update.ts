// The reference path in two halves: computing a transformation's new parameters and state with its
// tf ops (nothing written), then writing them into the variables (nothing can fail). The Optimizer's
// reference step does one after the other; a fused step whose routing transformation has groups
// without a kernel computes theirs before its kernels run and writes them after.
import * as tf from '@tensorflow/tfjs-core';
import { TreeMismatchError } from '../errors.js';
import { checkSameTensorType, type GradientTransformation, type StateLeaf, type UpdateExtras } from '../transform.js';
import { alignLeaves, flatten, type GradTree, leaves, type ParamTree, type Tree, unflatten } from '../tree.js';

/** New values computed by a transformation's `update`, checked and not yet written. */
export interface PendingUpdate {
  /** The parameters it updates, and their new values in the same order. */
  readonly params: readonly tf.Variable[];
  readonly newParams: readonly tf.Tensor[];
  /** The state it replaces (variables and numbers), and its new leaves in that state's `flatten` order. */
  readonly state: Tree<StateLeaf>;
  readonly newState: readonly StateLeaf[];
}

/**
 * Runs `tx.update` inside `tf.tidy` and checks what it returns (the updates against the parameters,
 * the new state against the old one: paths, kinds, shapes, dtypes), writing nothing. `paramLeaves`
 * and `paramPaths` are `params`' leaves and paths in `flatten` order.
 */
export function computeUpdate(
  tx: GradientTransformation,
  grads: GradTree,
  state: Tree<StateLeaf>,
  params: ParamTree,
  paramLeaves: readonly tf.Variable[],
  paramPaths: readonly string[],
  extras: UpdateExtras,
): PendingUpdate {
  const stateEntries = flatten(state);
  const { newParams, newState } = tf.tidy(() => {
    const r = tx.update(grads, state, params, extras);
    const updates = alignLeaves(params, r.updates);
    for (const [i, u] of updates.entries()) checkSameTensorType(paramPaths[i] as string, paramLeaves[i] as tf.Tensor, u, `update from '${tx.name}'`);
    const next = alignLeaves(state, r.state as Tree<StateLeaf>);
    next.forEach((value, i) => {
      const { path, value: before } = stateEntries[i] as { path: string; value: StateLeaf };
      if (typeof before === 'number') {
        if (typeof value !== 'number' || !Number.isFinite(value)) throw new TreeMismatchError(path, `'${tx.name}' returned a non-number state at '${path}'`);
      } else checkSameTensorType(path, before, value, `state from '${tx.name}'`);
    });
    return { newParams: updates.map((u, i) => tf.add(paramLeaves[i] as tf.Tensor, u as tf.Tensor)), newState: next };
  });
  return { params: paramLeaves, newParams, state, newState };
}

/**
 * Writes a computed update: the parameters, then the state's variables (a state variable moved to
 * another slot, `{ prev: s.cur, cur: … }`, is read before any is assigned), and releases the update's
 * tensors except those in `keep` (the optimizer's own variables, the step's gradients, loss and
 * metric). `own` is every state variable of the optimizer. Returns the new state: the same
 * variables, the new numbers.
 */
export function commitUpdate(u: PendingUpdate, own: ReadonlySet<tf.Tensor>, keep: ReadonlySet<tf.Tensor>): Tree<StateLeaf> {
  for (const [i, v] of u.params.entries()) v.assign(u.newParams[i] as tf.Tensor);
  tf.dispose(u.newParams as tf.Tensor[]);
  const before = leaves(u.state);
  const sources = u.newState.map((n, i) => (n instanceof tf.Tensor && own.has(n) && n !== before[i] ? tf.clone(n) : n));
  const kept = before.map((value, i) => {
    const next = sources[i] as StateLeaf;
    if (typeof value !== 'number' && next !== value) (value as tf.Variable).assign(next as tf.Tensor);
    return typeof value === 'number' ? next : value;
  });
  disposeExcept(sources, keep);
  return unflatten(u.state, kept);
}

/** Releases a computed update that will not be written (its step failed). */
export function discardUpdate(u: PendingUpdate, keep: ReadonlySet<tf.Tensor>): void {
  tf.dispose(u.newParams as tf.Tensor[]);
  disposeExcept(u.newState, keep);
}

/** Disposes each tensor among `values` once, except those in `keep`. */
function disposeExcept(values: readonly StateLeaf[], keep: ReadonlySet<tf.Tensor>): void {
  tf.dispose([...new Set(values.filter((t): t is tf.Tensor => t instanceof tf.Tensor && !keep.has(t)))]);
}
