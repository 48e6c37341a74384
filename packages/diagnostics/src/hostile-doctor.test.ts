// The hostile user and the doctor: bad targets, options, settings and data given to diagnoseModel and
// resolveLoss get a typed GradkitError naming the field, before anything runs (the data tensors are
// watched: never changed).
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe } from 'vitest';
import { asTarget } from './doctor-test-support.js';
import { type DiagnoseOptions, type DoctorTarget, diagnoseModel, type GradkitModelTarget, resolveLoss } from './index.js';

const model = asTarget(tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [4], activation: 'softmax' })] }));
const x = tf.randomNormal([8, 4], 0, 1, 'float32', 1);
const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1], 'int32'), 2), 'float32'));
const data = { x, y };
const run = (options: unknown, target: unknown = model) => diagnoseModel(target as DoctorTarget, options as DiagnoseOptions);
const withData = (extra: object) => run({ data, budget: 2, ...extra });
const module = { params: { w: tf.variable(tf.zeros([4, 2])) }, apply: (t: tf.Tensor) => t };
const gradkit: GradkitModelTarget = { module, loss: (p, t) => tf.losses.meanSquaredError(t, p) as tf.Scalar };
const twoOutputs = (() => {
  const input = tfl.input({ shape: [4] });
  return asTarget(
    tfl.model({ inputs: input, outputs: [tfl.layers.dense({ units: 2 }).apply(input), tfl.layers.dense({ units: 1 }).apply(input)] as tfl.SymbolicTensor[] }),
  );
})();
const disposed = tf.zeros([8, 4]);
disposed.dispose();
const withNaN = tf.tensor2d([[1, 2, 3, 4], ...Array.from({ length: 7 }, () => [0, Number.NaN, 0, 0])]);
const y7 = tf.slice(y, 0, 7);

describe('diagnoseModel, hostile', () => {
  hostileCases([
    { input: 'diagnoseModel(model)', names: 'options', run: () => run(undefined) },
    { input: 'diagnoseModel(model, null)', names: 'options', run: () => run(null) },
    { input: 'diagnoseModel(model, [x, y])', names: 'options', run: () => run([x, y]) },
    { input: 'diagnoseModel(model, { data, epochs: 5 })', names: 'epochs', run: () => withData({ epochs: 5 }) },
    { input: 'diagnoseModel(model, { data, lr: 0.01 }) (PyTorch)', names: 'lr', run: () => withData({ lr: 0.01 }) },
    { input: 'diagnoseModel(model, { data, batch_size: 8 }) (Keras)', names: 'batch_size', run: () => withData({ batch_size: 8 }) },
    { input: 'diagnoseModel(model, { data, steps: 10 })', names: 'steps', run: () => withData({ steps: 10 }) },
    { input: 'diagnoseModel(model, { x, y })', names: 'x', run: () => run({ x, y }) },
    { input: 'diagnoseModel(model, {})', names: 'data', run: () => run({}) },
    { input: 'diagnoseModel(model, { data: { x } })', names: 'data.y', run: () => run({ data: { x } }) },
    { input: 'diagnoseModel(model, { data: { x, y, sampleWeight } })', names: 'sampleWeight', run: () => run({ data: { x, y, sampleWeight: y } }) },
    { input: 'diagnoseModel(model, { data: { x: [[1, 2, 3, 4]], y } })', names: 'data.x', run: () => run({ data: { x: [[1, 2, 3, 4]], y } }) },
    {
      input: 'diagnoseModel(model, { data }) with 8 x samples and 7 labels',
      names: 'data.y',
      run: async (ctx) => {
        await ctx.watch(x, y7);
        return run({ data: { x, y: y7 } });
      },
    },
    {
      input: 'diagnoseModel(model, { data }) with rows of 5 values for a model of 4 inputs',
      names: 'data.x',
      run: () => {
        const x5 = tf.zeros([8, 5]);
        return run({ data: { x: x5, y } }).finally(() => x5.dispose());
      },
    },
    {
      input: "diagnoseModel(model, { data, loss: 'sparseCategoricalCrossentropy' }) with int32 class indices",
      names: 'data.y',
      run: () => {
        const indices = tf.tensor2d([0, 1, 0, 1, 1, 0, 0, 1], [8, 1], 'int32');
        return run({ data: { x, y: indices }, loss: 'sparseCategoricalCrossentropy' }).finally(() => indices.dispose());
      },
    },
    {
      input: 'diagnoseModel(model, { data }) with 3 one-hot classes for 2 outputs',
      names: 'data.y',
      run: () => {
        const y3 = tf.zeros([8, 3]);
        return run({ data: { x, y: y3 } }).finally(() => y3.dispose());
      },
    },
    {
      input: 'diagnoseModel(model, { data }) with class indices for categoricalCrossentropy',
      names: 'data.y',
      run: () => {
        const labels = tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1]);
        return run({ data: { x, y: labels } }).finally(() => labels.dispose());
      },
    },
    {
      input: 'diagnoseModel(model, { data }) with a NaN in x',
      names: 'data.x',
      run: async (ctx) => {
        await ctx.watch(withNaN);
        return run({ data: { x: withNaN, y } });
      },
    },
    {
      input: 'diagnoseModel(model, { data }) with Infinity in y',
      names: 'data.y',
      run: () => {
        const bad = tf.fill([8, 2], Number.POSITIVE_INFINITY);
        return run({ data: { x, y: bad } }).finally(() => bad.dispose());
      },
    },
    { input: 'diagnoseModel(model, { data: { x: disposed, y } })', names: 'data.x', run: () => run({ data: { x: disposed, y } }) },
    {
      input: 'diagnoseModel(model, { data }) with x as bool',
      names: 'data.x',
      run: () => {
        const b = tf.ones([8, 4], 'bool');
        return run({ data: { x: b, y } }).finally(() => b.dispose());
      },
    },
    { input: 'diagnoseModel(model, { data, budget: 0 })', names: 'budget', run: () => withData({ budget: 0 }) },
    { input: 'diagnoseModel(model, { data, budget: -5 })', names: 'budget', run: () => withData({ budget: -5 }) },
    { input: 'diagnoseModel(model, { data, budget: 2.5 })', names: 'budget', run: () => withData({ budget: 2.5 }) },
    { input: 'diagnoseModel(model, { data, budget: NaN })', names: 'budget', run: () => withData({ budget: Number.NaN }) },
    { input: 'diagnoseModel(model, { data, budget: Infinity })', names: 'budget', run: () => withData({ budget: Number.POSITIVE_INFINITY }) },
    { input: "diagnoseModel(model, { data, budget: '100' })", names: 'budget', run: () => withData({ budget: '100' }) },
    { input: 'diagnoseModel(model, { data, budget: null })', names: 'budget', run: () => withData({ budget: null }) },
    { input: 'diagnoseModel(model, { data, batchSize: 0 })', names: 'batchSize', run: () => withData({ batchSize: 0 }) },
    { input: 'diagnoseModel(model, { data, every: 0 })', names: 'every', run: () => withData({ every: 0 }) },
    { input: 'diagnoseModel(model, { data, seed: -1 })', names: 'seed', run: () => withData({ seed: -1 }) },
    { input: 'diagnoseModel(model, { data, seed: 0.5 })', names: 'seed', run: () => withData({ seed: 0.5 }) },
    { input: 'diagnoseModel(model, { data, learningRate: 0 })', names: 'learningRate', run: () => withData({ learningRate: 0 }) },
    { input: 'diagnoseModel(model, { data, learningRate: -1e-3 })', names: 'learningRate', run: () => withData({ learningRate: -1e-3 }) },
    { input: 'diagnoseModel(model, { data, learningRate: NaN })', names: 'learningRate', run: () => withData({ learningRate: Number.NaN }) },
    { input: 'diagnoseModel(model, { data, learningRate: Infinity })', names: 'learningRate', run: () => withData({ learningRate: Number.POSITIVE_INFINITY }) },
    { input: "diagnoseModel(model, { data, learningRate: '1e-3' })", names: 'learningRate', run: () => withData({ learningRate: '1e-3' }) },
    { input: "diagnoseModel(model, { data, optimizer: 'Adam' })", names: 'optimizer', run: () => withData({ optimizer: 'Adam' }) },
    { input: "diagnoseModel(model, { data, optimizer: 'lion' })", names: 'optimizer', run: () => withData({ optimizer: 'lion' }) },
    { input: 'diagnoseModel(model, { data, optimizer: tf.train.adam() })', names: 'optimizer', run: () => withData({ optimizer: tf.train.adam() }) },
    { input: "diagnoseModel(model, { data, loss: 'crossentropy' })", names: 'loss', run: () => withData({ loss: 'crossentropy' }) },
    {
      input: "diagnoseModel(model, { data, loss: 'categorical_crossentropy' }) (Keras)",
      names: 'loss',
      run: () => withData({ loss: 'categorical_crossentropy' }),
    },
    {
      input: 'diagnoseModel(model, { data, loss: tf.losses.softmaxCrossEntropy })',
      names: 'loss',
      run: () => withData({ loss: tf.losses.softmaxCrossEntropy }),
    },
    { input: "diagnoseModel(model, { data, curvature: 'yes' })", names: 'curvature', run: () => withData({ curvature: 'yes' }) },
    { input: "diagnoseModel(model, { data, onProgress: 'log' })", names: 'onProgress', run: () => withData({ onProgress: 'log' }) },
    { input: 'diagnoseModel(null, { data })', names: 'target', run: () => run({ data }, null) },
    { input: 'diagnoseModel(tfl.Sequential, { data }) (the class)', names: 'target', run: () => run({ data }, tfl.Sequential) },
    { input: 'diagnoseModel({ model }, { data })', names: 'model', run: () => run({ data }, { model }) },
    { input: 'diagnoseModel(a model with two outputs, { data })', names: 'target', run: () => run({ data }, twoOutputs) },
    {
      input: 'diagnoseModel(tf.sequential(), { data }) (no layers yet)',
      names: 'target',
      run: () => run({ data }, tfl.sequential()),
    },
    { input: "diagnoseModel({ module, loss: 'mse' }, { data })", names: 'target.loss', run: () => run({ data }, { module, loss: 'mse' }) },
    {
      input: 'diagnoseModel({ module: dense, loss }, { data }) (factory not called)',
      names: 'target.module',
      run: () => run({ data }, { module: () => module, loss: gradkit.loss }),
    },
    { input: 'diagnoseModel({ loss }, { data })', names: 'target.module', run: () => run({ data }, { loss: gradkit.loss }) },
    {
      input: "diagnoseModel({ module, loss }, { data, loss: 'meanSquaredError' })",
      names: 'loss',
      run: () => run({ data, loss: 'meanSquaredError' }, gradkit),
    },
  ]);
});

describe('resolveLoss, hostile', () => {
  hostileCases([
    { input: "resolveLoss(model, 'mse')", names: 'loss', run: () => resolveLoss(model, 'mse') },
    { input: "resolveLoss(model, 'CategoricalCrossentropy')", names: 'loss', run: () => resolveLoss(model, 'CategoricalCrossentropy') },
    { input: 'resolveLoss(model, null)', names: 'loss', run: () => resolveLoss(model, null as never) },
    { input: 'resolveLoss(null)', names: 'model', run: () => resolveLoss(null as never) },
    { input: "resolveLoss('model.json')", names: 'model', run: () => resolveLoss('model.json' as never) },
  ]);
});
