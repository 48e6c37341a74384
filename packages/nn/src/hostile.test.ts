// The hostile user: careless and foreign (PyTorch, Keras) inputs to the modules, penalties and
// batches of @gradkit/nn. Each must be a typed GradkitError naming the option or argument, thrown
// before a parameter or buffer changed.
import { flatten, type Module } from '@gradkit/core';
import { heNormal } from '@gradkit/initializers';
import { BatchNorm } from '@gradkit/normalization';
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { act, batches, dense, dropout, l1Penalty, l2Penalty, nameScope, residual, sequential } from './index.js';

const ok = { inFeatures: 4, outFeatures: 2, seed: 1 };
/** Runs `f` inside tf.tidy, so the tensors a rejected call made are released. */
const tidy = (f: () => unknown) => () => tf.tidy(() => void f());
/** Every leaf of a module's params and buffers, to watch. */
const leavesOf = (m: Module) => [...flatten(m.params), ...flatten(m.buffers ?? {})].map((e) => e.value);
const data = () => ({ x: tf.zeros([6, 2]), y: tf.zeros([6, 1]) });

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
    {
      input: 'layer.apply(x, { train: false })',
      names: 'train',
      run: async (ctx) => {
        const layer = dense(ok);
        await ctx.watch(...leavesOf(layer));
        tf.tidy(() => void layer.apply(tf.ones([3, 4]), { train: false } as never));
      },
    },
    {
      input: 'layer.apply(xWith5Features)',
      names: 'x',
      run: async (ctx) => {
        const layer = dense(ok);
        await ctx.watch(...leavesOf(layer));
        tf.tidy(() => void layer.apply(tf.ones([3, 5])));
      },
    },
    { input: "layer.apply('x')", names: 'x', run: () => dense(ok).apply('x' as never) },
    { input: 'sequential([a, b]) (a Keras list)', names: 'modules', run: () => sequential([act('relu'), act('tanh')] as never) },
    { input: "sequential(dense(…), 'relu')", names: 'modules[1]', run: () => sequential(dense(ok), 'relu' as never) },
    { input: 'sequential(act) (factory not called)', names: 'modules[0]', run: () => sequential(act as never) },
    {
      input: 'net.apply(x, { trainig: false }) with a BatchNorm inside',
      names: 'trainig',
      run: async (ctx) => {
        const net = sequential(dense(ok), BatchNorm({ features: 2 }));
        await ctx.watch(...leavesOf(net));
        tf.tidy(() => void net.apply(tf.ones([3, 4]), { trainig: false } as never));
      },
    },
    { input: 'residual(inner, { proj: d })', names: 'proj', run: () => residual(act('relu'), { proj: dense(ok) } as never) },
    { input: 'residual(inner, null)', names: 'options', run: () => residual(act('relu'), null as never) },
    {
      input: 'residual(dense(4 → 2)).apply(x) (the skip path has 4 features)',
      names: 'inner',
      run: async (ctx) => {
        const block = residual(dense(ok));
        await ctx.watch(...leavesOf(block));
        tf.tidy(() => void block.apply(tf.ones([3, 4])));
      },
    },
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
  ]));
