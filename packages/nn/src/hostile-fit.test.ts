// The hostile user of fit and its callbacks: Keras and PyTorch habits, careless values. Each must be
// a typed GradkitError naming the option, thrown before any parameter or optimizer state changed.
import { Optimizer } from '@gradkit/core';
import { adam, sgd } from '@gradkit/optimizers';
import { type HostileContext, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { mse } from './fit/test-support.js';
import { checkpoint, dense, earlyStopping, type FitOptions, fit, progressBar } from './index.js';

/** A model, its optimizer and data, watched; `bad` changes the options of a correct fit. */
function fitCase(input: string, names: string, bad: (o: FitOptions) => object) {
  return {
    input,
    names,
    run: async (ctx: HostileContext) => {
      const model = dense({ inFeatures: 2, outFeatures: 1, seed: 1 });
      const optimizer = new Optimizer(model.params, adam({ learningRate: 0.1 }));
      await ctx.watch(optimizer);
      const data = { x: tf.ones([6, 2]), y: tf.zeros([6, 1]) };
      const options: FitOptions = { model, loss: mse, optimizer, data, epochs: 2, batchSize: 3, verbose: 0 };
      try {
        await fit(bad(options) as FitOptions);
      } finally {
        tf.dispose(data);
      }
    },
  };
}

const scalarOf = (t: tf.Tensor) => tf.sum(t) as tf.Scalar;

describe('fit, hostile', () =>
  hostileCases([
    fitCase("fit({ …, batch_size: 32 }) (Keras's name)", 'batch_size', ({ batchSize, ...o }) => ({ ...o, batch_size: batchSize })),
    fitCase("fit({ …, validation_split: 0.2 }) (Keras's name)", 'validation_split', (o) => ({ ...o, validation_split: 0.2 })),
    fitCase("fit({ …, validation_data: [x, y] }) (Keras's name)", 'validation_data', (o) => ({ ...o, validation_data: [o.data.x, o.data.y] })),
    fitCase("fit({ …, nb_epoch: 3 }) (old Keras's name)", 'nb_epoch', ({ epochs, ...o }) => ({ ...o, nb_epoch: epochs })),
    fitCase("fit({ …, lr: 0.01 }) (the optimizer's option)", 'lr', (o) => ({ ...o, lr: 0.01 })),
    fitCase("fit({ model, x, y, … }) (Keras's fit(x, y))", 'x', ({ data, ...o }) => ({ ...o, x: data.x, y: data.y })),
    fitCase('fit(model) (the model, not options)', 'model', (o) => o.model),
    fitCase('fit({ …, epochs: 0 })', 'epochs', (o) => ({ ...o, epochs: 0 })),
    fitCase('fit({ …, epochs: 2.5 })', 'epochs', (o) => ({ ...o, epochs: 2.5 })),
    fitCase('fit({ …, epochs: Infinity })', 'epochs', (o) => ({ ...o, epochs: Number.POSITIVE_INFINITY })),
    fitCase('fit({ …, epochs: NaN })', 'epochs', (o) => ({ ...o, epochs: Number.NaN })),
    fitCase("fit({ …, epochs: '10' })", 'epochs', (o) => ({ ...o, epochs: '10' })),
    fitCase('fit({ … }) without epochs', 'epochs', ({ epochs: _, ...o }) => o),
    fitCase('fit({ … }) without batchSize', 'batchSize', ({ batchSize: _, ...o }) => o),
    fitCase('fit({ …, batchSize: 0 })', 'batchSize', (o) => ({ ...o, batchSize: 0 })),
    fitCase('fit({ …, batchSize: 100 }) (more than the 6 samples)', 'batchSize', (o) => ({ ...o, batchSize: 100 })),
    fitCase('fit({ …, batchSize: 3, validationSplit: 0.5 }) (3 training samples, fine) then batchSize 4', 'batchSize', (o) => ({
      ...o,
      batchSize: 4,
      validationSplit: 0.5,
    })),
    fitCase('fit({ …, data: { x: 6 samples, y: 5 samples } })', 'data.y', (o) => ({ ...o, data: { x: o.data.x, y: tf.zeros([5, 1]) } })),
    fitCase('fit({ …, data: { xs, ys } })', 'xs', (o) => ({ ...o, data: { xs: o.data.x, ys: o.data.y } })),
    fitCase('fit({ …, data: { x } }) (no targets)', 'data.y', (o) => ({ ...o, data: { x: o.data.x } })),
    fitCase('fit({ …, data: x }) (a tensor)', 'data', (o) => ({ ...o, data: o.data.x })),
    fitCase('fit({ …, data: [x, y] })', 'data', (o) => ({ ...o, data: [o.data.x, o.data.y] })),
    fitCase('fit({ …, data: null })', 'data', (o) => ({ ...o, data: null })),
    fitCase('fit({ …, data: { x: disposed, y } })', 'data.x', (o) => {
      const x = tf.ones([6, 2]);
      x.dispose();
      return { ...o, data: { x, y: o.data.y } };
    }),
    fitCase('fit({ …, data: { x: 0 samples, y: 0 samples } })', 'data.x', (o) => ({ ...o, data: { x: tf.zeros([0, 2]), y: tf.zeros([0, 1]) } })),
    fitCase('fit({ …, loss: (p, t) => per-sample losses }) (not reduced)', 'loss', (o) => ({
      ...o,
      loss: (p: tf.Tensor, t: tf.Tensor) => tf.square(tf.sub(p, t)),
    })),
    fitCase("fit({ …, loss: 'mse' }) (Keras's string)", 'loss', (o) => ({ ...o, loss: 'mse' })),
    fitCase('fit({ …, loss: () => 0.5 }) (a number)', 'loss', (o) => ({ ...o, loss: () => 0.5 })),
    fitCase('fit({ …, loss: undefined })', 'loss', ({ loss: _, ...o }) => o),
    fitCase('fit({ …, optimizer: adam }) (factory not called)', 'optimizer', (o) => ({ ...o, optimizer: adam })),
    fitCase("fit({ …, optimizer: 'adam' }) (Keras's string)", 'optimizer', (o) => ({ ...o, optimizer: 'adam' })),
    fitCase('fit({ …, optimizer: an Optimizer over other variables })', 'optimizer', (o) => ({
      ...o,
      optimizer: new Optimizer({ w: tf.variable(tf.zeros([1])) }, sgd({ learningRate: 0.1 })),
    })),
    fitCase('fit({ …, model: dense }) (factory not called)', 'model', (o) => ({ ...o, model: dense })),
    fitCase('fit({ …, model: null })', 'model', (o) => ({ ...o, model: null })),
    fitCase("fit({ …, metrics: ['acc'] })", 'metrics[0]', (o) => ({ ...o, metrics: ['acc'] })),
    fitCase("fit({ …, metrics: 'accuracy' }) (not a list)", 'metrics', (o) => ({ ...o, metrics: 'accuracy' })),
    fitCase('fit({ …, metrics: [function scalarOf…] }) returning a vector', 'metrics.perRow', (o) => ({
      ...o,
      metrics: [
        function perRow(p: tf.Tensor) {
          return tf.sum(p, -1);
        },
      ],
    })),
    fitCase('fit({ …, metrics: [(p, t) => …] }) (anonymous)', 'metrics[0]', (o) => ({ ...o, metrics: [[scalarOf].map((f) => (p: tf.Tensor) => f(p))[0]] })),
    fitCase("fit({ …, metrics: ['accuracy'] }) on one output column", 'prediction', (o) => ({ ...o, metrics: ['accuracy'] })),
    fitCase('fit({ …, callbacks: [earlyStopping] }) (factory not called)', 'callbacks[0]', (o) => ({ ...o, callbacks: [earlyStopping] })),
    fitCase('fit({ …, callbacks: [{ on_epoch_end }] }) (Keras/snake hook)', 'on_epoch_end', (o) => ({ ...o, callbacks: [{ on_epoch_end: () => undefined }] })),
    fitCase('fit({ …, callbacks: earlyStopping() }) (not a list)', 'callbacks', (o) => ({ ...o, callbacks: earlyStopping() })),
    fitCase("fit({ … no validation, callbacks: [earlyStopping()] }) (monitor 'valLoss')", 'monitor', (o) => ({ ...o, callbacks: [earlyStopping()] })),
    fitCase("fit({ …, validation, callbacks: [earlyStopping({ monitor: 'val_loss' })] })", 'monitor', (o) => ({
      ...o,
      validation: o.data,
      callbacks: [earlyStopping({ monitor: 'val_loss' })],
    })),
    fitCase("fit({ …, callbacks: [checkpoint({ destination, saveBestOnly: true, monitor: 'valAcc' })] })", 'monitor', (o) => ({
      ...o,
      callbacks: [checkpoint({ destination: 'memory', saveBestOnly: true, monitor: 'valAcc' })],
    })),
    fitCase('fit({ …, validationSplit: 1.5 })', 'validationSplit', (o) => ({ ...o, validationSplit: 1.5 })),
    fitCase('fit({ …, validationSplit: 0.01 }) (holds out no sample of 6)', 'validationSplit', (o) => ({ ...o, validationSplit: 0.01 })),
    fitCase('fit({ …, validation, validationSplit })', 'validationSplit', (o) => ({ ...o, validation: o.data, validationSplit: 0.5 })),
    fitCase('fit({ …, validation: { x } })', 'validation.y', (o) => ({ ...o, validation: { x: o.data.x } })),
    fitCase('fit({ …, validation: null })', 'validation', (o) => ({ ...o, validation: null })),
    fitCase('fit({ …, initialEpoch: 2 }) (= epochs)', 'initialEpoch', (o) => ({ ...o, initialEpoch: 2 })),
    fitCase('fit({ …, initialEpoch: -1 })', 'initialEpoch', (o) => ({ ...o, initialEpoch: -1 })),
    fitCase('fit({ …, verbose: 2 })', 'verbose', (o) => ({ ...o, verbose: 2 })),
    fitCase('fit({ …, verbose: true })', 'verbose', (o) => ({ ...o, verbose: true })),
    fitCase("fit({ …, shuffle: 'batch' }) (Keras's option)", 'shuffle', (o) => ({ ...o, shuffle: 'batch' })),
    fitCase('fit({ …, shuffle: false, seed: 1 })', 'seed', (o) => ({ ...o, shuffle: false, seed: 1 })),
    fitCase('fit({ …, seed: 1.5 })', 'seed', (o) => ({ ...o, seed: 1.5 })),
    fitCase('fit({ …, monitor: {} })', 'monitor', (o) => ({ ...o, monitor: {} })),
    fitCase('fit({ …, monitorEvery: 10 }) without monitor', 'monitorEvery', (o) => ({ ...o, monitorEvery: 10 })),
    fitCase("fit({ …, onNonFiniteLoss: 'ignore' })", 'onNonFiniteLoss', (o) => ({ ...o, onNonFiniteLoss: 'ignore' })),
    { input: 'earlyStopping({ patience: -1 })', names: 'patience', run: () => earlyStopping({ patience: -1 }) },
    { input: 'earlyStopping({ patience: 1.5 })', names: 'patience', run: () => earlyStopping({ patience: 1.5 }) },
    { input: "earlyStopping({ min_delta: 0.01 }) (Keras's name)", names: 'min_delta', run: () => earlyStopping({ min_delta: 0.01 } as never) },
    {
      input: "earlyStopping({ restore_best_weights: true }) (Keras's name)",
      names: 'restore_best_weights',
      run: () => earlyStopping({ restore_best_weights: true } as never),
    },
    { input: 'earlyStopping({ minDelta: -0.1 })', names: 'minDelta', run: () => earlyStopping({ minDelta: -0.1 }) },
    { input: 'earlyStopping({ minDelta: NaN })', names: 'minDelta', run: () => earlyStopping({ minDelta: Number.NaN }) },
    { input: "earlyStopping({ mode: 'lower' })", names: 'mode', run: () => earlyStopping({ mode: 'lower' as never }) },
    { input: 'earlyStopping({ monitor: 3 })', names: 'monitor', run: () => earlyStopping({ monitor: 3 as never }) },
    { input: 'earlyStopping({ baseline: Infinity })', names: 'baseline', run: () => earlyStopping({ baseline: Number.POSITIVE_INFINITY }) },
    { input: "earlyStopping({ restoreBestWeights: 'yes' })", names: 'restoreBestWeights', run: () => earlyStopping({ restoreBestWeights: 'yes' as never }) },
    { input: "checkpoint({ filepath: 'ckpt' }) (Keras's name)", names: 'filepath', run: () => checkpoint({ filepath: 'ckpt' } as never) },
    { input: 'checkpoint() (no destination)', names: 'options', run: () => checkpoint(undefined as never) },
    { input: 'checkpoint({ destination: 3 })', names: 'destination', run: () => checkpoint({ destination: 3 as never }) },
    { input: 'checkpoint({ destination, every: 0 })', names: 'every', run: () => checkpoint({ destination: 'c', every: 0 }) },
    {
      input: "checkpoint({ destination, save_best_only: true }) (Keras's name)",
      names: 'save_best_only',
      run: () => checkpoint({ destination: 'c', save_best_only: true } as never),
    },
    {
      input: "checkpoint({ destination, monitor: 'loss' }) without saveBestOnly",
      names: 'monitor',
      run: () => checkpoint({ destination: 'c', monitor: 'loss' }),
    },
    { input: 'progressBar({ stream: console.log }) (a function)', names: 'stream', run: () => progressBar({ stream: console.log as never }) },
    { input: 'progressBar({ interval: -5 })', names: 'interval', run: () => progressBar({ interval: -5 }) },
    { input: 'progressBar({ width: 2.5 })', names: 'width', run: () => progressBar({ width: 2.5 }) },
  ]));
