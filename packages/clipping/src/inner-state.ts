// A wrapper's choice between its inner transformation's new state and its old one, made on the
// device (applyIfFinite, skipLargeUpdates).
import { alignLeaves, flatten, type GradientTransformation, type StateLeaf, type StateTree, TreeMismatchError, unflatten } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The wrapped transformation's new state where `apply` holds, its old one elsewhere, paired by path
 * (tensor leaves chosen on the device; host numbers, such as its `count`, advance either way).
 */
export function innerStateWhere(apply: tf.Tensor, inner: GradientTransformation, old: StateTree, next: StateTree): StateTree {
  let after: StateLeaf[];
  try {
    after = alignLeaves(old, next) as StateLeaf[];
  } catch (e) {
    if (!(e instanceof TreeMismatchError)) throw e;
    throw new TreeMismatchError(e.path === '' ? 'inner' : `inner.${e.path}`, `'${inner.name}' returned a state whose structure differs: ${e.message}`);
  }
  return unflatten(
    old,
    flatten(old).map(({ path, value: before }, i) => {
      const value = after[i] as StateLeaf;
      if (typeof value === 'number' || !(before instanceof tf.Tensor)) return value;
      if (!(value instanceof tf.Tensor)) throw new TreeMismatchError(`inner.${path}`, `'${inner.name}' returned a non-tensor state at '${path}'`);
      return tf.where(apply, value, before);
    }),
  ) as StateTree;
}
