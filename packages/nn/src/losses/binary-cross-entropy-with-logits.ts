import { softplus } from '@gradkit/activations';
import { checkNumberOption, checkOptions, describeValue, HyperParameterError, optionOr } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkFloat, checkReduction, checkSameShape, type Reduction, reduce, shapeOf } from './check.js';

/** Options of `binaryCrossEntropyWithLogits`. @example `{ posWeight: 3 }` */
export interface BinaryCrossEntropyOptions {
  /**
   * Weight p ≥ 0 of the positive term (PyTorch's `pos_weight`): a number, or a float32 tensor with one
   * weight per class (shape `[C]`, C = the last axis of the logits). p > 1 raises recall. Default 1.
   */
  readonly posWeight?: number | tf.Tensor;
  /** `'mean'` over every element (default), `'sum'`, or `'none'`: the elementwise losses, of the logits' shape. */
  readonly reduction?: Reduction;
}

/**
 * log(1 + e^{−|x|}) and softplus(−x) = max(−x, 0) + log(1 + e^{−|x|}), by `softplus` of @gradkit/activations,
 * which keeps log1p's digits for tiny arguments (tfjs's log1p on wasm and webgpu is log(1 + y): 0 below 6e-8).
 */
const log1pExpNegAbs = (x: tf.Tensor) => softplus(tf.neg(tf.abs(x)));
const softplusOfNegative = (x: tf.Tensor) => tf.add(tf.relu(tf.neg(x)), log1pExpNegAbs(x));

/** Elementwise losses and their closed-form gradients; `extra` = p − 1 (a tensor) or null for p = 1. */
function elementLosses(extra: tf.Tensor | null): (x: tf.Tensor, t: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, t] = args as [tf.Tensor, tf.Tensor];
    // `extra` is saved too: the backward pass may run after the caller's tidy released it.
    (args[2] as tf.GradSaveFunc)(extra ? [x, t, extra] : [x, t]);
    // max(x, 0) − x·t + log1p(e^{−|x|}) keeps its digits for large |x|; p ≠ 1 adds (p − 1)·t·softplus(−x).
    const base = tf.add(tf.sub(tf.relu(x), tf.mul(x, t)), log1pExpNegAbs(x));
    return {
      value: extra ? tf.add(base, tf.mul(tf.mul(extra, t), softplusOfNegative(x))) : base,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ts, w] = saved as [tf.Tensor, tf.Tensor, tf.Tensor | undefined];
        const g = dy as tf.Tensor;
        // ∂/∂x = σ(x) − t − (p − 1)·t·σ(−x); ∂/∂t = −x + (p − 1)·softplus(−x).
        const dx = tf.sub(tf.sigmoid(xs), ts);
        if (!w) return [tf.mul(g, dx), tf.mul(g, tf.neg(xs))];
        return [tf.mul(g, tf.sub(dx, tf.mul(tf.mul(w, ts), tf.sigmoid(tf.neg(xs))))), tf.mul(g, tf.add(tf.neg(xs), tf.mul(w, softplusOfNegative(xs))))];
      },
    };
  }) as (x: tf.Tensor, t: tf.Tensor) => tf.Tensor;
}

const unweighted = elementLosses(null);

/** The positive weight as a number, or a float32 tensor of shape [] or [C]; errors name `posWeight`. */
function checkPosWeight(fn: string, value: unknown, logits: tf.Tensor): number | tf.Tensor {
  if (typeof value !== 'object' || value === null) return checkNumberOption('posWeight', optionOr('posWeight', value, 1), { min: 0 });
  const p = checkFloat(fn, 'posWeight', value);
  const classes = logits.shape[logits.rank - 1];
  if (p.rank === 0 || (p.rank === 1 && p.shape[0] === classes)) return p;
  throw new HyperParameterError(
    'posWeight',
    `${fn}: posWeight has shape ${shapeOf(p)}; it must be a number or a tensor with one weight per class, shape [${classes ?? 1}] (the logits' last axis), got ${describeValue(p)}`,
  );
}

/**
 * Binary cross-entropy from logits, elementwise: ℓ = −[p·t·log σ(x) + (1 − t)·log(1 − σ(x))], computed as
 * max(x, 0) − x·t + log(1 + e^{−|x|}) (+ (p − 1)·t·softplus(−x) with a positive weight p), which never
 * overflows and keeps its digits for |x| in the hundreds; then the mean over every element (or `reduction`).
 * Gradients: ∂ℓ/∂x = σ(x) − t − (p − 1)·t·σ(−x) (σ(x) − t for p = 1, also at x = 0, where a
 * differentiated max/abs would give −t), ∂ℓ/∂t = −x + (p − 1)·softplus(−x).
 *
 * PyTorch `torch.nn.functional.binary_cross_entropy_with_logits(input, target, pos_weight=p,
 * reduction='mean')`, Keras `BinaryCrossentropy(from_logits=True)`. Targets may be any values in [0, 1]
 * (soft labels), of exactly the logits' shape: a `[batch]` target against `[batch, 1]` logits is an
 * error, not a broadcast to `[batch, batch]`.
 *
 * @param logits - float32 logits of any shape (do not apply sigmoid first).
 * @param targets - float32 targets in [0, 1], of the logits' shape.
 * @param options - `{ posWeight = 1, reduction = 'mean' }`.
 * @returns a scalar (`'mean'`, `'sum'`), or the elementwise losses (`'none'`).
 * @throws ValueError (what `logits` or `targets`) for a non-float32 tensor or a shape mismatch;
 *   HyperParameterError (field `posWeight` or `reduction`) for a negative or non-finite weight, a
 *   weight tensor of another shape, or an unknown reduction; UnknownOptionError for other keys
 *   (`pos_weight` suggests `posWeight`).
 * @example
 * ```ts
 * const logits = tf.tensor2d([[2], [-1]]);
 * binaryCrossEntropyWithLogits(logits, tf.tensor2d([[1], [0]]));                   // 0.2201
 * binaryCrossEntropyWithLogits(logits, tf.tensor2d([[1], [0]]), { posWeight: 3 }); // positives count 3×
 * ```
 */
export function binaryCrossEntropyWithLogits(
  logits: tf.Tensor,
  targets: tf.Tensor,
  options?: BinaryCrossEntropyOptions & { readonly reduction?: 'mean' | 'sum' },
): tf.Scalar;
/**
 * `binaryCrossEntropyWithLogits` with `reduction: 'none'`: the elementwise losses, unreduced (see the scalar overload for the formula).
 *
 * @example
 * ```ts
 * binaryCrossEntropyWithLogits(logits, targets, { reduction: 'none' }); // elementwise losses
 * ```
 */
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor, options: BinaryCrossEntropyOptions): tf.Tensor;
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor, options: BinaryCrossEntropyOptions = {}): tf.Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  const o = checkOptions(fn, options, ['posWeight', 'reduction'], { example: `${fn}(logits, targets, { posWeight: 2 })` });
  const reduction = checkReduction(fn, o.reduction);
  const x = checkFloat(fn, 'logits', logits);
  const t = checkFloat(fn, 'targets', targets);
  checkSameShape(fn, 'logits', x, 'targets', t);
  const posWeight = checkPosWeight(fn, o.posWeight, x);
  return tf.tidy(() => {
    if (posWeight === 1) return reduce(unweighted(x, t), reduction);
    const extra = typeof posWeight === 'number' ? tf.scalar(posWeight - 1) : tf.sub(posWeight, 1);
    return reduce(elementLosses(extra)(x, t), reduction);
  });
}
