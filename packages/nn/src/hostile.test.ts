// The hostile user: careless and foreign (PyTorch, Keras) inputs to the modules, penalties and
// batches of @gradkit/nn. Each must be a typed GradkitError naming the option or argument, thrown
// before a parameter or buffer changed.
import { flatten, type Module } from '@gradkit/core';
import { constant, heNormal } from '@gradkit/initializers';
import { BatchNorm } from '@gradkit/normalization';
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { act, batches, dense, dropout, l1Penalty, l2Penalty, nameScope, residual, sequential, syncBuffers } from './index.js';

const ok = { inFeatures: 4, outFeatures: 2, seed: 1 };
/** Runs `f` inside tf.tidy, so the tensors a rejected call made are released. */
const tidy = (f: () => unknown) => () => tf.tidy(() => void f());
/** Every leaf of a module's params and buffers, to watch. */
const leavesOf = (m: Module) => [...flatten(m.params), ...flatten(m.buffers ?? {})].map((e) => e.value);
const data = () => ({ x: tf.zeros([6, 2]), y: tf.zeros([6, 1]) });
/** Assigns int32 `words` to a dropout's rngState, as a checkpoint restore does. */
const restore = (drop: ReturnType<typeof dropout>, words: number[]) => {
  const state = tf.tensor1d(words, 'int32');
  drop.buffers.rngState.assign(state);
  state.dispose();
};

/** A case that applies `make()` to ones of `shape` (with `options`), watching its params and buffers. */
const applyCase = (input: string, names: string, make: () => Module, shape: number[], options?: object) => ({
  input,
  names,
  run: async (ctx: { watch: (...t: tf.Tensor[]) => Promise<void> }) => {
    const m = make();
    await ctx.watch(...leavesOf(m));
    tf.tidy(() => void m.apply(tf.ones(shape), options as never));
  },
});

describe('nn, hostile', () =>
  hostileCases([
    {
      input: "dense({ in_features: 784, out_features: 10 }) (PyTorch's names)",
      names: 'in_features',
      run: () => dense({ in_features: 784, out_features: 10 } as never),
    },
    { input: "dense({ inFeatures: 784, units: 10 }) (Keras's units)", names: 'units', run: () => dense({ inFeatures: 784, units: 10 } as never) },
    { input: "dense({ …, bias: false }) (PyTorch's bias)", names: 'bias', run: () => dense({ ...ok, bias: false } as never) },
    { input: 'dense({ inFeatures: -4, outFeatures: 2 })', names: 'inFeatures', run: () => dense({ inFeatures: -4, outFeatures: 2 }) },
    { input: "dense({ …, activation: 'Relu' })", names: 'activation', run: () => dense({ ...ok, activation: 'Relu' }) },
    {
      input: 'dense({ …, kernelInitializer: heNormal }) (factory not called)',
      names: 'kernelInitializer',
      run: () => dense({ inFeatures: 4, outFeatures: 2, kernelInitializer: heNormal as never }),
    },
    { input: 'dense({ …, seed: 1, kernelInitializer: heNormal() }) (seed ignored)', names: 'seed', run: () => dense({ ...ok, kernelInitializer: heNormal() }) },
    applyCase('layer.apply(x, { train: false })', 'train', () => dense(ok), [3, 4], { train: false }),
    applyCase('layer.apply(xWith5Features)', 'x', () => dense(ok), [3, 5]),
    { input: "layer.apply('x')", names: 'x', run: () => dense(ok).apply('x' as never) },
    { input: 'sequential([a, b]) (a Keras list)', names: 'modules', run: () => sequential([act('relu'), act('tanh')] as never) },
    { input: "sequential(dense(…), 'relu')", names: 'modules[1]', run: () => sequential(dense(ok), 'relu' as never) },
    { input: 'sequential(act) (factory not called)', names: 'modules[0]', run: () => sequential(act as never) },
    applyCase('net.apply(x, { trainig: false }) with a BatchNorm inside', 'trainig', () => sequential(dense(ok), BatchNorm({ features: 2 })), [3, 4], {
      trainig: false,
    }),
    { input: 'residual(inner, { proj: d })', names: 'proj', run: () => residual(act('relu'), { proj: dense(ok) } as never) },
    { input: 'residual(inner, null)', names: 'options', run: () => residual(act('relu'), null as never) },
    applyCase('residual(dense(4 → 2)).apply(x) (the skip path has 4 features)', 'inner', () => residual(dense(ok)), [3, 4]),
    { input: 'dropout({ rate: 0.5 })', names: 'rate', run: () => dropout({ rate: 0.5 } as never) },
    { input: "dropout(0.5, { p: 0.5 }) (PyTorch's p)", names: 'p', run: () => dropout(0.5, { p: 0.5 } as never) },
    { input: 'dropout(1)', names: 'rate', run: () => dropout(1) },
    { input: 'dropout(0.5, { seed: 1.5 })', names: 'seed', run: () => dropout(0.5, { seed: 1.5 }) },
    { input: "dropout(0.5).reseed('1')", names: 'seed', run: () => dropout(0.5, { seed: 1 }).reseed('1' as never) },
    { input: "act('Gelu')", names: 'activation', run: () => act('Gelu') },
    { input: "act('relu', { nam: 'hidden' })", names: 'nam', run: () => act('relu', { nam: 'hidden' } as never) },
    { input: 'act(null)', names: 'activation', run: () => act(null as never) },
    {
      input: "l2Penalty(params, 1e-4, { filter: 'kernel' })",
      names: 'filter',
      run: tidy(() => l2Penalty({ kernel: tf.ones([2, 2]) }, 1e-4, { filter: 'kernel' as never })),
    },
    { input: 'l2Penalty(params, -1)', names: 'lambda', run: tidy(() => l2Penalty({ kernel: tf.ones([2, 2]) }, -1)) },
    {
      input: 'l1Penalty(params, 1e-4, { where: (path) => … })',
      names: 'where',
      run: tidy(() => l1Penalty({ kernel: tf.ones([2, 2]) }, 1e-4, { where: () => true } as never)),
    },
    { input: 'l2Penalty(null, 1)', names: 'params', run: () => l2Penalty(null as never, 1) },
    {
      input: "l2Penalty(params, 1, { filter: (p) => (p.endsWith('kernel') ? 1 : 0) })",
      names: 'filter',
      run: tidy(() => l2Penalty({ kernel: tf.ones([2, 2]) }, 1, { filter: (p) => (p.endsWith('kernel') ? 1 : 0) as never })),
    },
    { input: "batches({ x, y }, { batch_size: 32 }) (PyTorch's name)", names: 'batch_size', run: tidy(() => batches(data(), { batch_size: 2 } as never)) },
    { input: 'batches({ x, y }, { batchSize: 0 })', names: 'batchSize', run: tidy(() => batches(data(), { batchSize: 0 })) },
    {
      input: 'batches({ x, y }, { batchSize: 2, shuffle: false, seed: 1 })',
      names: 'seed',
      run: tidy(() => batches(data(), { batchSize: 2, shuffle: false, seed: 1 })),
    },
    { input: 'batches({ x, y: 5 samples })', names: 'y', run: tidy(() => batches({ x: tf.zeros([6, 2]), y: tf.zeros([5, 1]) }, { batchSize: 2 })) },
    { input: 'batches(x, { batchSize: 2 }) (a tensor, not { x, y })', names: 'data', run: tidy(() => batches(tf.zeros([6, 2]) as never, { batchSize: 2 })) },
    { input: "nameScope('', fn)", names: 'name', run: () => nameScope('', () => 1) },
    { input: 'dense({ …, useBias: null })', names: 'useBias', run: () => dense({ ...ok, useBias: null } as never) },
    {
      input: 'dense({ inFeatures: 4, outFeatures: 2, kernelInitializer: null })',
      names: 'kernelInitializer',
      run: () => dense({ inFeatures: 4, outFeatures: 2, kernelInitializer: null } as never),
    },
    { input: 'dense({ …, biasInitializer: null })', names: 'biasInitializer', run: () => dense({ ...ok, biasInitializer: null } as never) },
    { input: 'dense({ …, name: null })', names: 'name', run: () => dense({ ...ok, name: null } as never) },
    {
      input: 'dense({ …, biasInitializer: heNormal }) (factory not called)',
      names: 'biasInitializer',
      run: () => dense({ ...ok, biasInitializer: heNormal as never }),
    },
    {
      input: 'dense({ …, kernelInitializer: constant }) (factory not called)',
      names: 'kernelInitializer',
      run: () => dense({ inFeatures: 4, outFeatures: 2, kernelInitializer: constant as never }),
    },
    applyCase('layer.apply(x, { training: null })', 'training', () => dense(ok), [3, 4], { training: null }),
    { input: 'dropout(0.5, { name: null })', names: 'name', run: () => dropout(0.5, { name: null } as never) },
    applyCase(
      'net.apply(x) in training after a checkpoint restore, without syncBuffers',
      'rngState',
      () => {
        const drop = dropout(0.5, { seed: 1 });
        restore(drop, [7, 0, 3, 0]);
        return sequential(dense(ok), drop);
      },
      [3, 4],
    ),
    { input: 'syncBuffers(null)', names: 'module', run: () => syncBuffers(null as never) },
    {
      input: 'syncBuffers(model) with an rngState of [0, 2^30, 0, 0] (seed 2^62)',
      names: 'rngState',
      run: async (ctx) => {
        const drop = dropout(0.5, { seed: 1 });
        restore(drop, [0, 2 ** 30, 0, 0]);
        await ctx.watch(...leavesOf(drop));
        await syncBuffers(sequential(drop));
      },
    },
    {
      input: 'batches({ x, y }, { batchSize: 2, shuffle: null })',
      names: 'shuffle',
      run: tidy(() => batches(data(), { batchSize: 2, shuffle: null } as never)),
    },
    {
      input: 'batches({ x, y }, { batchSize: 2, dropLast: null })',
      names: 'dropLast',
      run: tidy(() => batches(data(), { batchSize: 2, dropLast: null } as never)),
    },
    { input: 'batches({ x, y }, { batchSize: 2, seed: null })', names: 'seed', run: tidy(() => batches(data(), { batchSize: 2, seed: null } as never)) },
  ]));
