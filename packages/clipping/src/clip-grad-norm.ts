import { checkHyper, checkOptions, GradkitError, type GradTree, HyperParameterError, unflatten, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { NormOrder } from './global-norm.js';
import { alignedGrads, checkOrd, infNorm, l2Norm, orDefault, POSITIVE } from './internal.js';

/** Options of `clipGradNorm` (PyTorch's `clip_grad_norm_` keyword arguments). @example `{ normType: Infinity, errorIfNonfinite: true }` */
export interface ClipGradNormOptions {
  /** The norm: 2 (default) or `Infinity`. */
  readonly normType?: NormOrder;
  /**
   * Throw a `NonFiniteGradientError` when the total norm is NaN or infinite, before anything is
   * computed from it (default false). With true, `clipGradNorm` returns a Promise, because checking
   * needs the norm on the host.
   */
  readonly errorIfNonfinite?: boolean;
}

/**
 * A tree with the structure of `G` whose leaves are tensors: what `clipGradNorm` returns for `G`.
 *
 * @example `TensorTreeOf<{ w: tf.Variable; layers: tf.Tensor[] }>` is `{ w: tf.Tensor; layers: tf.Tensor[] }`
 */
export type TensorTreeOf<G> = G extends tf.Tensor ? tf.Tensor : { [K in keyof G]: TensorTreeOf<G[K]> };

/** What `clipGradNorm` returns: new, clipped gradients and the total norm before clipping (the caller disposes both). @example `const { grads, norm } = clipGradNorm(g, 1)` */
export interface ClippedGradients<G> {
  /** The clipped gradients: new tensors with the structure of the input. */
  readonly grads: TensorTreeOf<G>;
  /** The total norm of the input gradients, before clipping (float32 scalar tensor). */
  readonly norm: tf.Scalar;
}

/**
 * The total gradient norm was NaN or infinite and `clipGradNorm` was asked to refuse it
 * (`errorIfNonfinite: true`). Nothing was computed from the gradients. `norm` is the value read.
 *
 * @example
 * ```ts
 * try { await clipGradNorm(grads, 1, { errorIfNonfinite: true }); } catch (e) { if (e instanceof NonFiniteGradientError) skipBatch(); }
 * ```
 */
export class NonFiniteGradientError extends GradkitError {
  /** The total norm that was found (NaN, Infinity). */
  readonly norm: number;
  /** The norm's order (2 or Infinity). */
  readonly normType: NormOrder;

  constructor(norm: number, normType: NormOrder) {
    super(
      'NONFINITE_GRADIENT',
      `the total norm of order ${normType} of the gradients is ${norm}, so they cannot be clipped: find where the loss or the gradients stop being finite ` +
        '(a smaller learning rate, zeroNans() or applyIfFinite(...) in the chain, inspectGradients from @gradkit/diagnostics), or pass errorIfNonfinite: false to scale by the non-finite norm anyway',
    );
    this.norm = norm;
    this.normType = normType;
  }
}

/** PyTorch's 1e-6 added to the norm in the clip coefficient. */
const NORM_EPS = 1e-6;

function scaled<G extends GradTree>(grads: G, leaves: tf.Tensor[], norm: tf.Scalar, maxNorm: number): ClippedGradients<G> {
  const clipped = tf.tidy(() => {
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, NORM_EPS)), 1);
    return unflatten(
      grads,
      leaves.map((g) => tf.mul(g, coef)),
    ) as tf.TensorContainer;
  });
  return { grads: clipped as unknown as TensorTreeOf<G>, norm };
}

/**
 * Clips a tree of gradients by their total norm, as PyTorch's `torch.nn.utils.clip_grad_norm_`
 * (torch/nn/utils/clip_grad.py) but functional: it returns new gradients and leaves its input alone.
 * n = ‖g‖ (order `normType`, all leaves together); coef = min(maxNorm / (n + 1e-6), 1); g ← g · coef.
 * Returns `{ grads, norm: n }`, both on the device (the caller disposes them).
 *
 * Synchronous by default. With `errorIfNonfinite: true` it returns a Promise: the check needs the
 * norm on the host, and WebGPU in Node cannot read a tensor synchronously, so the norm is read with
 * `await norm.data()`; a NaN or infinite norm rejects with `NonFiniteGradientError` before anything is
 * computed from the gradients. In a transformation chain use `clipByGlobalNorm` (optax's formula,
 * which never reads back).
 *
 * @param grads - a tree of gradient tensors (nested objects and arrays).
 * @param maxNorm - the largest allowed total norm (> 0).
 * @throws HyperParameterError (field `maxNorm`, `normType` or `errorIfNonfinite`) for a bad argument
 *   (PyTorch's `clipGradNorm(grads, { max_norm: 1 })` included: maxNorm is the second argument);
 *   UnknownOptionError for an unknown option (`norm_type` suggests `normType`); TreeMismatchError
 *   naming the path of a leaf that is not a live tensor.
 * @example
 * ```ts
 * const { grads: clipped, norm } = clipGradNorm(grads, 1);
 * const checked = await clipGradNorm(grads, 1, { errorIfNonfinite: true }); // rejects on NaN/Infinity
 * ```
 */
export function clipGradNorm<G extends GradTree>(
  grads: G,
  maxNorm: number,
  options?: ClipGradNormOptions & { readonly errorIfNonfinite?: false },
): ClippedGradients<G>;
/** With `errorIfNonfinite: true`: a Promise that rejects with `NonFiniteGradientError` on a NaN or infinite norm. */
export function clipGradNorm<G extends GradTree>(
  grads: G,
  maxNorm: number,
  options: ClipGradNormOptions & { readonly errorIfNonfinite: true },
): Promise<ClippedGradients<G>>;
/** With a `boolean` only known at run time: a Promise exactly when `errorIfNonfinite` is true. */
export function clipGradNorm<G extends GradTree>(grads: G, maxNorm: number, options: ClipGradNormOptions): ClippedGradients<G> | Promise<ClippedGradients<G>>;
export function clipGradNorm<G extends GradTree>(
  grads: G,
  maxNorm: number,
  options: ClipGradNormOptions = {},
): ClippedGradients<G> | Promise<ClippedGradients<G>> {
  checkOptions('clipGradNorm', options, ['normType', 'errorIfNonfinite'], { example: 'clipGradNorm(grads, 1, { normType: 2 })' });
  if (typeof maxNorm !== 'number') {
    const pytorch = maxNorm !== null && typeof maxNorm === 'object' ? ' (PyTorch’s max_norm is the second argument here: clipGradNorm(grads, 1))' : '';
    throw new HyperParameterError(
      'maxNorm',
      `clipGradNorm's maxNorm must be a number, got ${maxNorm === null ? 'null' : typeof maxNorm}${pytorch}; for a schedule, use clipByGlobalNorm in a chain`,
    );
  }
  checkHyper('maxNorm', maxNorm, POSITIVE);
  const normType = checkOrd('normType', orDefault(options.normType, 2));
  const check = orDefault(options.errorIfNonfinite, false);
  if (typeof check !== 'boolean') throw new HyperParameterError('errorIfNonfinite', `errorIfNonfinite must be true or false, got ${String(check)}`);
  const { leaves } = alignedGrads(grads);
  const norm = tf.tidy(() => (normType === 2 ? l2Norm(leaves) : infNorm(leaves)));
  if (!check) return scaled(grads, leaves, norm, maxNorm);
  return (async () => {
    let value: number;
    try {
      value = (await norm.data())[0] as number;
    } catch (e) {
      norm.dispose();
      throw e;
    }
    if (!Number.isFinite(value)) {
      norm.dispose();
      throw new NonFiniteGradientError(value, normType);
    }
    for (const g of leaves)
      if (g.isDisposed) {
        norm.dispose();
        throw new ValueError('grads', 'a gradient was disposed while clipGradNorm was reading the norm: keep the gradients alive until it resolves');
      }
    return scaled(grads, leaves, norm, maxNorm);
  })();
}
