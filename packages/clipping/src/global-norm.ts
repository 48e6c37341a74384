import type { GradTree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { alignedGrads, checkOrd, infNorm, l2Norm } from './internal.js';

/** The norms `globalNorm` and `clipGradNorm` compute: 2 (Euclidean) or `Infinity` (max-abs). @example `globalNorm(grads, Infinity)` */
export type NormOrder = 2 | typeof Number.POSITIVE_INFINITY;

/**
 * The norm of a whole tree of tensors taken as one vector, as a float32 scalar tensor on the device
 * (nothing is read back; the caller disposes it).
 *
 * ord 2: ‖g‖₂ = √(Σ_leaves Σ gᵢ²) (optax `optax.tree.norm` / `global_norm`, PyTorch `clip_grad_norm_`'s
 * total norm); ord ∞: ‖g‖∞ = maxᵢ |gᵢ| (PyTorch's `norm_type=inf`). A NaN anywhere gives NaN, an
 * infinite element (and no NaN) gives Infinity; an empty tree gives 0. Squares are summed in float32,
 * so ord 2 overflows to Infinity once Σ g² exceeds ~3.4e38 (elements around 1.8e19).
 *
 * @param grads - a tree of tensors (nested objects and arrays).
 * @param ord - 2 (default) or `Infinity`.
 * @throws HyperParameterError (field `ord`) for another order; TreeMismatchError naming the path of a
 *   leaf that is not a live tensor.
 * @example
 * ```ts
 * const norm = globalNorm({ w: tf.tensor1d([3, 0]), b: tf.scalar(4) }); // 5
 * console.log((await norm.data())[0]);
 * norm.dispose();
 * ```
 */
export function globalNorm(grads: GradTree, ord: NormOrder = 2): tf.Scalar {
  checkOrd('ord', ord);
  const { leaves } = alignedGrads(grads);
  return tf.tidy(() => (ord === 2 ? l2Norm(leaves) : infNorm(leaves)));
}
