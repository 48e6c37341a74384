import { checkNumberOption, checkOptions, optionOr, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkFloat, checkReduction, checkTensor, type Reduction, reduce, shapeOf } from './check.js';
import { checkLabelRange } from './label-range.js';

/** Options of `softmaxCrossEntropy`. @example `{ labelSmoothing: 0.1 }` */
export interface SoftmaxCrossEntropyOptions {
  /** ε ∈ [0, 1): the target becomes (1 − ε)·target + ε/C (PyTorch's `label_smoothing`; default 0). */
  readonly labelSmoothing?: number;
  /** `'mean'` over the positions (default), `'sum'`, or `'none'`: one loss per position, shape `logits.shape` without its last axis. */
  readonly reduction?: Reduction;
}

/** g·(softmax(x) − t) for class-index targets, g·(softmax(x)·Σt − t) for any target; g = dy with a trailing axis. */
function gradLogits(g: tf.Tensor, logp: tf.Tensor, t: tf.Tensor, targetSumsToOne: boolean): tf.Tensor {
  const p = tf.exp(logp);
  return tf.mul(g, tf.sub(targetSumsToOne ? p : tf.mul(p, tf.sum(t, -1, true)), t));
}

/** −Σ t·log softmax(x) over the last axis, saving log softmax(x) and t for the backward pass. */
function rowLosses(x: tf.Tensor, t: tf.Tensor, save: tf.GradSaveFunc): { logp: tf.Tensor; value: tf.Tensor } {
  const logp = tf.logSoftmax(x);
  save([logp, t]);
  return { logp, value: tf.neg(tf.sum(tf.mul(t, logp), -1)) };
}

/** Per-position losses against float targets, differentiable in both (∂/∂t = −log softmax(x), as PyTorch). */
const againstProbabilities = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const { value } = rowLosses(args[0] as tf.Tensor, args[1] as tf.Tensor, args[2] as tf.GradSaveFunc);
  return {
    value,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [logp, t] = saved as [tf.Tensor, tf.Tensor];
      const g = tf.expandDims(dy as tf.Tensor, -1);
      return [gradLogits(g, logp, t, false), tf.neg(tf.mul(g, logp))];
    },
  };
});

/** Per-position losses against a target built from class indices (a constant: only the logits get a gradient). */
function againstIndices(x: tf.Tensor, target: tf.Tensor): tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const { value } = rowLosses(args[0] as tf.Tensor, target, args[1] as tf.GradSaveFunc);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [logp, t] = saved as [tf.Tensor, tf.Tensor];
        return [gradLogits(tf.expandDims(dy as tf.Tensor, -1), logp, t, true)];
      },
    };
  })(x);
}

/**
 * One-hot targets for class indices. When the indices could not be checked on the host (`checked`
 * false: a GPU-resident tensor on webgpu), a position whose index is outside [0, classes) gets a
 * target of NaN, so its loss and the gradient are NaN, not a silently smaller number.
 */
export function indexTarget(labels: tf.Tensor, classes: number, checked: boolean): tf.Tensor {
  // int32 then cast: tfjs-backend-wasm 4.22's OneHot writes int32 bits into a float32 output (1 reads as 1.4e-45).
  const oneHot = tf.cast(tf.oneHot(labels, classes), 'float32');
  if (checked) return oneHot;
  const valid = tf.logicalAnd(tf.greaterEqual(labels, 0), tf.less(labels, classes));
  const poison = tf.where(valid, tf.zeros(labels.shape), tf.fill(labels.shape, Number.NaN));
  return tf.add(oneHot, tf.expandDims(poison, -1));
}

/** The loss from checked tensors: labels are class indices (`checked` as for `indexTarget`) or float targets of logits' shape. */
export function crossEntropyOf(logits: tf.Tensor, labels: tf.Tensor, smoothing: number, reduction: Reduction, checked: boolean): tf.Tensor {
  return tf.tidy(() => {
    const classes = logits.shape[logits.rank - 1] as number;
    const indices = labels.dtype === 'int32';
    const target = indices ? indexTarget(labels, classes, checked) : labels;
    const smoothed = smoothing > 0 ? tf.add(tf.mul(target, 1 - smoothing), smoothing / classes) : target;
    const losses = indices ? againstIndices(logits, smoothed) : (againstProbabilities(logits, smoothed) as tf.Tensor);
    return reduce(losses, reduction);
  });
}

/** Validates labels against logits `[..., C]`: int32 indices of the leading shape, or float32 of logits' shape. */
function checkLabels(fn: string, logits: tf.Tensor, labels: unknown): tf.Tensor {
  const y = checkTensor(fn, 'labels', labels);
  const leading = logits.shape.slice(0, -1);
  const same = (shape: readonly number[]) => y.rank === shape.length && y.shape.every((d, i) => d === shape[i]);
  const expect = `class indices (int32) of shape [${leading.join(', ')}], or probabilities / one-hot (float32) of logits' shape ${shapeOf(logits)}`;
  if (y.dtype === 'int32') {
    if (same(leading)) return y;
    const hint = same(logits.shape) ? " (these look like one-hot labels: cast them with tf.cast(labels, 'float32'), or pass class indices)" : '';
    throw new ValueError('labels', `${fn}: int32 labels have shape ${shapeOf(y)} but logits have shape ${shapeOf(logits)}; labels must be ${expect}${hint}`);
  }
  if (y.dtype === 'float32') {
    if (same(logits.shape)) return y;
    const hint = same(leading) ? " (these look like class indices stored as floats: cast them with tf.cast(labels, 'int32'))" : '';
    throw new ValueError('labels', `${fn}: float32 labels have shape ${shapeOf(y)} but logits have shape ${shapeOf(logits)}; labels must be ${expect}${hint}`);
  }
  throw new ValueError('labels', `${fn}: labels have dtype '${y.dtype}'; they must be ${expect}`);
}

/**
 * Softmax cross-entropy from logits: for each position (every index of the leading axes of
 * `logits [..., C]`), loss = −Σ_c t_c · log softmax(x)_c, with log softmax(x) = x − m − log Σ exp(x − m),
 * m = max x (stable for any finite logits, ±1000 included); then the mean over positions (or `reduction`).
 * The target t is the one-hot of a class index, or the given probabilities; with label smoothing ε
 * it is (1 − ε)·t + ε/C. Gradient: ∂loss/∂x = (softmax(x)·Σt − t)/N for the mean over N positions
 * (softmax(x) − t when t sums to 1), and ∂loss/∂t = −log softmax(x)/N for float labels.
 *
 * PyTorch `torch.nn.functional.cross_entropy(input, target, label_smoothing=ε, reduction='mean')`
 * (classes last here, on axis 1 there), Keras `CategoricalCrossentropy(from_logits=True)` /
 * `SparseCategoricalCrossentropy(from_logits=True)`. The gradient is a custom closed form from the
 * saved log-probabilities, so the backward pass is one exp and one subtraction per logit.
 *
 * Class indices are checked against [0, C) before anything is computed on cpu and wasm, and on
 * webgpu when the labels still sit on the CPU side (a tensor made from a JS array before any kernel
 * used it, or one read with `await labels.data()`). Labels that live only on the GPU cannot be read
 * without waiting; there an index out of range makes the loss and the gradient NaN (never a quietly
 * wrong number). PyTorch's `ignore_index` is not supported: use `reduction: 'none'` and a mask.
 *
 * @param logits - float32 `[..., C]`: unnormalized scores, classes on the last axis (do not apply softmax first).
 * @param labels - int32 class indices of shape `logits.shape` without its last axis (`[batch]`, `[batch, time]` …),
 *   or float32 probabilities / one-hot of `logits.shape`.
 * @param options - `{ labelSmoothing = 0, reduction = 'mean' }`.
 * @returns a scalar (`'mean'`, `'sum'`), or the per-position losses (`'none'`).
 * @throws ValueError (what `logits` or `labels`) for a non-float or scalar logits, labels of the wrong
 *   dtype or shape, or a class index out of range; HyperParameterError (field `labelSmoothing` or
 *   `reduction`) for ε outside [0, 1) or an unknown reduction; UnknownOptionError for other keys
 *   (`label_smoothing` suggests `labelSmoothing`).
 * @example
 * ```ts
 * const logits = tf.tensor2d([[2, 0.5, -1], [0, 3, 0]]);
 * softmaxCrossEntropy(logits, tf.tensor1d([0, 1], 'int32'));                          // 0.1681
 * softmaxCrossEntropy(logits, tf.tensor1d([0, 1], 'int32'), { labelSmoothing: 0.1 }); // smoothed targets
 * const loss = (p: typeof model.params) => softmaxCrossEntropy(model.apply(x), labels);
 * ```
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor,
  options?: SoftmaxCrossEntropyOptions & { readonly reduction?: 'mean' | 'sum' },
): tf.Scalar;
/**
 * `softmaxCrossEntropy` with `reduction: 'none'`: the per-position losses, unreduced (see the scalar overload for the formula).
 *
 * @example
 * ```ts
 * softmaxCrossEntropy(logits, labels, { reduction: 'none' }); // [batch] losses, e.g. to mask padding
 * ```
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, options: SoftmaxCrossEntropyOptions): tf.Tensor;
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, options: SoftmaxCrossEntropyOptions = {}): tf.Tensor {
  const fn = 'softmaxCrossEntropy';
  const o = checkOptions(fn, options, ['labelSmoothing', 'reduction'], { example: `${fn}(logits, labels, { labelSmoothing: 0.1 })` });
  const smoothing = checkNumberOption('labelSmoothing', optionOr('labelSmoothing', o.labelSmoothing, 0), { min: 0, max: 1, maxExclusive: true });
  const reduction = checkReduction(fn, o.reduction);
  const x = checkFloat(fn, 'logits', logits);
  if (x.rank === 0) throw new ValueError('logits', `${fn}: logits is a scalar; it needs a last axis of classes, e.g. [batch, classes]`);
  const classes = x.shape[x.rank - 1] as number;
  if (classes === 0) throw new ValueError('logits', `${fn}: logits have 0 classes on their last axis (shape ${shapeOf(x)})`);
  const y = checkLabels(fn, x, labels);
  const checked = y.dtype === 'int32' ? checkLabelRange(fn, y, classes) : true;
  return crossEntropyOf(x, y, smoothing, reduction, checked);
}
