// The hostile user: careless and foreign (PyTorch, Keras) inputs to the losses of @gradkit/nn. Each
// must be a typed GradkitError naming the argument or option, thrown before anything is computed.
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { binaryCrossEntropyWithLogits, meanSquaredError, softmaxCrossEntropy } from './index.js';

/** Runs `f` inside tf.tidy, so the tensors a rejected call made are released. */
const tidy = (f: () => unknown) => () => tf.tidy(() => void f());
const logits = () =>
  tf.tensor2d([
    [1, 2, 3],
    [0, 1, 0],
  ]);
const idx = (v: number[] = [2, 0]) => tf.tensor1d(v, 'int32');
const ce = (labels: () => unknown, options?: unknown, x: () => unknown = logits) =>
  tidy(() => softmaxCrossEntropy(x() as tf.Tensor, labels() as tf.Tensor, options as never));
const col = () => tf.tensor2d([[0.5], [-1], [2]]);
const bce = (targets: () => unknown, options?: unknown, x: () => unknown = col) =>
  tidy(() => binaryCrossEntropyWithLogits(x() as tf.Tensor, targets() as tf.Tensor, options as never));
const mse = (target: () => unknown, options?: unknown, pred: () => unknown = col) =>
  tidy(() => meanSquaredError(pred() as tf.Tensor, target() as tf.Tensor, options as never));

describe('nn losses, hostile', () =>
  hostileCases([
    // softmaxCrossEntropy: options
    { input: "softmaxCrossEntropy(x, y, { label_smoothing: 0.1 }) (PyTorch's name)", names: 'label_smoothing', run: ce(idx, { label_smoothing: 0.1 }) },
    { input: "softmaxCrossEntropy(x, y, { ignore_index: -100 }) (PyTorch's)", names: 'ignore_index', run: ce(idx, { ignore_index: -100 }) },
    { input: 'softmaxCrossEntropy(x, y, { weight: w }) (PyTorch class weights)', names: 'weight', run: ce(idx, { weight: [1, 1, 1] }) },
    { input: "softmaxCrossEntropy(x, y, { fromLogits: true }) (Keras's from_logits)", names: 'fromLogits', run: ce(idx, { fromLogits: true }) },
    { input: 'softmaxCrossEntropy(x, y, { labelSmoothing: 1 })', names: 'labelSmoothing', run: ce(idx, { labelSmoothing: 1 }) },
    { input: 'softmaxCrossEntropy(x, y, { labelSmoothing: -0.1 })', names: 'labelSmoothing', run: ce(idx, { labelSmoothing: -0.1 }) },
    { input: 'softmaxCrossEntropy(x, y, { labelSmoothing: NaN })', names: 'labelSmoothing', run: ce(idx, { labelSmoothing: Number.NaN }) },
    { input: "softmaxCrossEntropy(x, y, { labelSmoothing: '0.1' })", names: 'labelSmoothing', run: ce(idx, { labelSmoothing: '0.1' }) },
    { input: 'softmaxCrossEntropy(x, y, { labelSmoothing: null })', names: 'labelSmoothing', run: ce(idx, { labelSmoothing: null }) },
    { input: "softmaxCrossEntropy(x, y, { reduction: 'batchmean' })", names: 'reduction', run: ce(idx, { reduction: 'batchmean' }) },
    { input: "softmaxCrossEntropy(x, y, { reduction: 'elementwise_mean' })", names: 'reduction', run: ce(idx, { reduction: 'elementwise_mean' }) },
    { input: 'softmaxCrossEntropy(x, y, 0.1) (smoothing positionally)', names: 'options', run: ce(idx, 0.1) },
    { input: 'softmaxCrossEntropy(x, y, null)', names: 'options', run: ce(idx, null) },
    // softmaxCrossEntropy: logits
    {
      input: 'softmaxCrossEntropy(int32Logits, y)',
      names: 'logits',
      run: ce(idx, undefined, () =>
        tf.tensor2d(
          [
            [1, 2, 3],
            [0, 1, 0],
          ],
          [2, 3],
          'int32',
        ),
      ),
    },
    { input: 'softmaxCrossEntropy([[1, 2, 3]], y) (a JS array)', names: 'logits', run: ce(idx, undefined, () => [[1, 2, 3]]) },
    {
      input: 'softmaxCrossEntropy(scalarLogits, y)',
      names: 'logits',
      run: ce(
        () => tf.scalar(0, 'int32'),
        undefined,
        () => tf.scalar(1),
      ),
    },
    {
      input: 'softmaxCrossEntropy(logits[2, 0], y)',
      names: 'logits',
      run: ce(
        () => idx([0, 0]),
        undefined,
        () => tf.zeros([2, 0]),
      ),
    },
    { input: 'softmaxCrossEntropy(undefined, y)', names: 'logits', run: ce(idx, undefined, () => undefined) },
    {
      input: 'softmaxCrossEntropy(disposedLogits, y)',
      names: 'logits',
      run: ce(idx, undefined, () => {
        const x = logits();
        x.dispose();
        return x;
      }),
    },
    // softmaxCrossEntropy: labels
    { input: 'softmaxCrossEntropy(x, floatIndices) (tf.tensor1d([2, 0]) is float32)', names: 'labels', run: ce(() => tf.tensor1d([2, 0])) },
    { input: 'softmaxCrossEntropy(x, tf.oneHot(y, 3)) (int32 one-hot)', names: 'labels', run: ce(() => tf.oneHot(idx(), 3)) },
    {
      input: 'softmaxCrossEntropy(x, labels[2, 1]) (Keras sparse labels with a trailing 1)',
      names: 'labels',
      run: ce(() => tf.tensor2d([[2], [0]], [2, 1], 'int32')),
    },
    { input: 'softmaxCrossEntropy(x, labels[3]) (another batch size)', names: 'labels', run: ce(() => idx([2, 0, 1])) },
    { input: 'softmaxCrossEntropy(x, probs[2, 4]) (wrong number of classes)', names: 'labels', run: ce(() => tf.fill([2, 4], 0.25)) },
    { input: 'softmaxCrossEntropy(x, boolLabels)', names: 'labels', run: ce(() => tf.tensor1d([true, false], 'bool')) },
    { input: 'softmaxCrossEntropy(x, [2, 0]) (a JS array)', names: 'labels', run: ce(() => [2, 0]) },
    { input: 'softmaxCrossEntropy(x, null)', names: 'labels', run: ce(() => null) },
    { input: 'softmaxCrossEntropy(x, labels with 3 of 3 classes) (out of range)', names: 'labels', run: ce(() => idx([3, 0])) },
    { input: 'softmaxCrossEntropy(x, labels with -100) (PyTorch padding)', names: 'labels', run: ce(() => idx([2, -100])) },
    {
      input: 'softmaxCrossEntropy(seqLogits[2, 2, 3], labels with 5 at [1, 0])',
      names: 'labels',
      run: ce(
        () =>
          tf.tensor2d(
            [
              [0, 1],
              [5, 2],
            ],
            [2, 2],
            'int32',
          ),
        undefined,
        () => tf.zeros([2, 2, 3]),
      ),
    },
    // binaryCrossEntropyWithLogits
    { input: 'binaryCrossEntropyWithLogits(x[3, 1], t[3]) ([batch] vs [batch, 1])', names: 'targets', run: bce(() => tf.tensor1d([1, 0, 1])) },
    { input: 'binaryCrossEntropyWithLogits(x[3, 1], t[1, 3])', names: 'targets', run: bce(() => tf.tensor2d([[1, 0, 1]])) },
    { input: 'binaryCrossEntropyWithLogits(x, int32Targets)', names: 'targets', run: bce(() => tf.tensor2d([[1], [0], [1]], [3, 1], 'int32')) },
    {
      input: 'binaryCrossEntropyWithLogits(boolLogits, t)',
      names: 'logits',
      run: bce(
        () => tf.ones([3, 1]),
        undefined,
        () => tf.ones([3, 1], 'bool'),
      ),
    },
    { input: 'binaryCrossEntropyWithLogits(x, undefined)', names: 'targets', run: bce(() => undefined) },
    {
      input: "binaryCrossEntropyWithLogits(x, t, { pos_weight: 2 }) (PyTorch's name)",
      names: 'pos_weight',
      run: bce(() => tf.ones([3, 1]), { pos_weight: 2 }),
    },
    { input: 'binaryCrossEntropyWithLogits(x, t, { weight: w }) (PyTorch)', names: 'weight', run: bce(() => tf.ones([3, 1]), { weight: [1, 1, 1] }) },
    { input: 'binaryCrossEntropyWithLogits(x, t, { posWeight: -1 })', names: 'posWeight', run: bce(() => tf.ones([3, 1]), { posWeight: -1 }) },
    {
      input: 'binaryCrossEntropyWithLogits(x, t, { posWeight: Infinity })',
      names: 'posWeight',
      run: bce(() => tf.ones([3, 1]), { posWeight: Number.POSITIVE_INFINITY }),
    },
    { input: 'binaryCrossEntropyWithLogits(x, t, { posWeight: null })', names: 'posWeight', run: bce(() => tf.ones([3, 1]), { posWeight: null }) },
    { input: "binaryCrossEntropyWithLogits(x, t, { posWeight: '2' })", names: 'posWeight', run: bce(() => tf.ones([3, 1]), { posWeight: '2' }) },
    {
      input: 'binaryCrossEntropyWithLogits(x[3, 1], t, { posWeight: w[3] }) (one per row, not per class)',
      names: 'posWeight',
      run: bce(() => tf.ones([3, 1]), { posWeight: tf.ones([3]) }),
    },
    {
      input: 'binaryCrossEntropyWithLogits(x, t, { posWeight: int32[1] })',
      names: 'posWeight',
      run: bce(() => tf.ones([3, 1]), { posWeight: tf.ones([1], 'int32') }),
    },
    { input: 'binaryCrossEntropyWithLogits(x, t, { posWeight: [2] }) (a JS array)', names: 'posWeight', run: bce(() => tf.ones([3, 1]), { posWeight: [2] }) },
    { input: "binaryCrossEntropyWithLogits(x, t, { reduction: 'avg' })", names: 'reduction', run: bce(() => tf.ones([3, 1]), { reduction: 'avg' }) },
    // meanSquaredError
    {
      input: 'meanSquaredError(pred[3, 1], target[3]) ([batch, 1] vs [batch]: a silent [3, 3] broadcast in tfjs)',
      names: 'target',
      run: mse(() => tf.tensor1d([1, 0, 1])),
    },
    { input: 'meanSquaredError(pred[3, 1], target[2, 1])', names: 'target', run: mse(() => tf.zeros([2, 1])) },
    { input: 'meanSquaredError(pred, int32Target)', names: 'target', run: mse(() => tf.zeros([3, 1], 'int32')) },
    {
      input: 'meanSquaredError(int32Pred, target)',
      names: 'pred',
      run: mse(
        () => tf.zeros([3, 1]),
        undefined,
        () => tf.zeros([3, 1], 'int32'),
      ),
    },
    { input: 'meanSquaredError(pred, 0) (a number)', names: 'target', run: mse(() => 0) },
    {
      input: "meanSquaredError(pred, target, { reduction: 'mean_squared' })",
      names: 'reduction',
      run: mse(() => tf.zeros([3, 1]), { reduction: 'mean_squared' }),
    },
    {
      input: "meanSquaredError(pred, target, { size_average: true }) (PyTorch's deprecated)",
      names: 'size_average',
      run: mse(() => tf.zeros([3, 1]), { size_average: true }),
    },
    { input: 'meanSquaredError(pred, target, { reduction: null })', names: 'reduction', run: mse(() => tf.zeros([3, 1]), { reduction: null }) },
  ]));
