// The hostile user of conv2d, conv1d, the pooling layers, flatten and embedding: PyTorch and Keras
// spellings, wrong types, out-of-range values, NaN/Infinity, null, factories not called, inputs of
// the wrong layout. Each must be a typed GradkitError naming the option or argument, thrown before a
// parameter changed.
import { flatten as leaves, type Module } from '@gradkit/core';
import { glorotUniform, normal } from '@gradkit/initializers';
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { avgPool2d, conv1d, conv2d, embedding, flatten, globalAvgPool2d, maxPool2d } from './index.js';

const ok = { inChannels: 3, outChannels: 4, kernelSize: 3, seed: 1 };
const emb = { numEmbeddings: 10, embeddingDim: 4, seed: 1 };

/** A case that applies `make()` to `input()` (with `options`), watching its params. */
const applyCase = (input: string, names: string, make: () => Module, x: () => tf.Tensor, options?: object) => ({
  input,
  names,
  run: async (ctx: { watch: (...t: tf.Tensor[]) => Promise<void> }) => {
    const m = make();
    await ctx.watch(...leaves(m.params).map((e) => e.value));
    tf.tidy(() => void m.apply(x(), options as never));
  },
});
const zeros = (shape: number[], dtype?: tf.DataType) => () => tf.zeros(shape, dtype);
const ints = (values: number[]) => () => tf.tensor1d(values, 'int32');

describe('nn convolution, pooling and embedding, hostile', () =>
  hostileCases([
    // conv2d options
    {
      input: "conv2d({ in_channels: 3, out_channels: 8, kernel_size: 3 }) (PyTorch's names)",
      names: 'in_channels',
      run: () => conv2d({ in_channels: 3, out_channels: 8, kernel_size: 3 } as never),
    },
    {
      input: "conv2d({ inChannels: 3, filters: 8, kernelSize: 3 }) (Keras's filters)",
      names: 'filters',
      run: () => conv2d({ inChannels: 3, filters: 8, kernelSize: 3 } as never),
    },
    { input: "conv2d({ …, strides: 2 }) (Keras's strides)", names: 'strides', run: () => conv2d({ ...ok, strides: 2 } as never) },
    { input: "conv2d({ …, bias: false }) (PyTorch's bias)", names: 'bias', run: () => conv2d({ ...ok, bias: false } as never) },
    { input: "conv2d({ …, padding_mode: 'reflect' })", names: 'padding_mode', run: () => conv2d({ ...ok, padding_mode: 'reflect' } as never) },
    { input: "conv2d({ …, padding: 'SAME' })", names: 'padding', run: () => conv2d({ ...ok, padding: 'SAME' as never }) },
    { input: 'conv2d({ …, padding: -1 })', names: 'padding', run: () => conv2d({ ...ok, padding: -1 }) },
    { input: 'conv2d({ …, padding: 1.5 })', names: 'padding', run: () => conv2d({ ...ok, padding: 1.5 }) },
    { input: 'conv2d({ …, padding: [1, 1, 1, 1] }) (tf.pad style)', names: 'padding', run: () => conv2d({ ...ok, padding: [1, 1, 1, 1] }) },
    { input: 'conv2d({ …, kernelSize: 0 })', names: 'kernelSize', run: () => conv2d({ ...ok, kernelSize: 0 }) },
    { input: 'conv2d({ …, kernelSize: [3, 3, 3] })', names: 'kernelSize', run: () => conv2d({ ...ok, kernelSize: [3, 3, 3] }) },
    { input: 'conv2d({ …, kernelSize: NaN })', names: 'kernelSize', run: () => conv2d({ ...ok, kernelSize: Number.NaN }) },
    { input: "conv2d({ …, kernelSize: '3' })", names: 'kernelSize', run: () => conv2d({ ...ok, kernelSize: '3' as never }) },
    { input: 'conv2d({ inChannels: 3, outChannels: 4 }) (no kernelSize)', names: 'kernelSize', run: () => conv2d({ inChannels: 3, outChannels: 4 } as never) },
    { input: 'conv2d({ …, stride: Infinity })', names: 'stride', run: () => conv2d({ ...ok, stride: Number.POSITIVE_INFINITY }) },
    { input: 'conv2d({ …, dilation: 0 })', names: 'dilation', run: () => conv2d({ ...ok, dilation: 0 }) },
    {
      input: 'conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, groups: 3 })',
      names: 'groups',
      run: () => conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, groups: 3 }),
    },
    {
      input: 'conv2d({ inChannels: 4, outChannels: 5, kernelSize: 3, groups: 2 })',
      names: 'groups',
      run: () => conv2d({ inChannels: 4, outChannels: 5, kernelSize: 3, groups: 2 }),
    },
    { input: 'conv2d({ …, groups: 0 })', names: 'groups', run: () => conv2d({ ...ok, groups: 0 }) },
    { input: 'conv2d({ …, inChannels: null })', names: 'inChannels', run: () => conv2d({ ...ok, inChannels: null as never }) },
    { input: 'conv2d({ …, stride: null })', names: 'stride', run: () => conv2d({ ...ok, stride: null as never }) },
    {
      input: 'conv2d({ …, kernelInitializer: glorotUniform }) (factory not called)',
      names: 'kernelInitializer',
      run: () => conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, kernelInitializer: glorotUniform as never }),
    },
    {
      input: 'conv2d({ …, seed: 1, kernelInitializer: glorotUniform() }) (seed ignored)',
      names: 'seed',
      run: () => conv2d({ ...ok, kernelInitializer: glorotUniform() }),
    },
    { input: "conv2d({ …, activation: 'Relu' })", names: 'activation', run: () => conv2d({ ...ok, activation: 'Relu' }) },
    { input: 'conv2d(null)', names: 'options', run: () => conv2d(null as never) },
    // conv2d inputs
    applyCase('conv2d(in 3).apply(x NCHW [1, 3, 8, 8]) (PyTorch layout)', 'x', () => conv2d(ok), zeros([1, 3, 8, 8])),
    applyCase('conv2d.apply(x [8, 8, 3]) (no batch axis)', 'x', () => conv2d(ok), zeros([8, 8, 3])),
    applyCase('conv2d(kernel 3).apply(x [1, 2, 8, 3]) (smaller than the kernel)', 'x', () => conv2d(ok), zeros([1, 2, 8, 3])),
    applyCase(
      'conv2d(kernel 3, dilation 4).apply(x [1, 8, 8, 3]) (smaller than the dilated kernel)',
      'x',
      () => conv2d({ ...ok, dilation: 4 }),
      zeros([1, 8, 8, 3]),
    ),
    applyCase('conv2d.apply(int32 images)', 'x', () => conv2d(ok), zeros([1, 8, 8, 3], 'int32')),
    applyCase('conv2d.apply(x, { initialState })', 'initialState', () => conv2d(ok), zeros([1, 8, 8, 3]), { initialState: tf.zeros([1]) }),
    { input: 'conv2d.apply([[1, 2]]) (an array)', names: 'x', run: () => conv2d(ok).apply([[1, 2]] as never) },
    // conv1d
    { input: 'conv1d({ …, kernelSize: [3, 3] })', names: 'kernelSize', run: () => conv1d({ ...ok, kernelSize: [3, 3] as never }) },
    { input: "conv1d({ …, padding: 'causal' }) (Keras's causal)", names: 'padding', run: () => conv1d({ ...ok, padding: 'causal' as never }) },
    applyCase('conv1d(in 3).apply(x [1, 3, 10]) (channels first)', 'x', () => conv1d(ok), zeros([1, 3, 10])),
    applyCase('conv1d.apply(images [1, 8, 8, 3])', 'x', () => conv1d(ok), zeros([1, 8, 8, 3])),
    // pooling
    { input: "maxPool2d({ kernel_size: 2 }) (PyTorch's name)", names: 'kernel_size', run: () => maxPool2d({ kernel_size: 2 } as never) },
    { input: "maxPool2d({ pool_size: 2 }) (Keras's name)", names: 'pool_size', run: () => maxPool2d({ pool_size: 2 } as never) },
    { input: "maxPool2d({ kernelSize: 2, strides: 2 }) (Keras's strides)", names: 'strides', run: () => maxPool2d({ kernelSize: 2, strides: 2 } as never) },
    { input: 'maxPool2d({ kernelSize: 2, ceil_mode: true })', names: 'ceil_mode', run: () => maxPool2d({ kernelSize: 2, ceil_mode: true } as never) },
    { input: 'maxPool2d({ kernelSize: 3, padding: 2 }) (more than half the window)', names: 'padding', run: () => maxPool2d({ kernelSize: 3, padding: 2 }) },
    { input: 'maxPool2d({ kernelSize: -2 })', names: 'kernelSize', run: () => maxPool2d({ kernelSize: -2 }) },
    { input: 'maxPool2d(2) (PyTorch positional)', names: 'options', run: () => maxPool2d(2 as never) },
    { input: 'maxPool2d() (no options)', names: 'options', run: () => maxPool2d(undefined as never) },
    {
      input: 'avgPool2d({ kernelSize: 2, count_include_pad: false })',
      names: 'count_include_pad',
      run: () => avgPool2d({ kernelSize: 2, count_include_pad: false } as never),
    },
    { input: 'avgPool2d({ kernelSize: 2, stride: 0 })', names: 'stride', run: () => avgPool2d({ kernelSize: 2, stride: 0 }) },
    applyCase('avgPool2d.apply(x [4, 4, 3]) (no batch axis)', 'x', () => avgPool2d({ kernelSize: 2 }), zeros([4, 4, 3])),
    applyCase(
      'maxPool2d({ kernelSize: 5 }).apply(x [1, 4, 4, 3]) (window larger than the image)',
      'x',
      () => maxPool2d({ kernelSize: 5 }),
      zeros([1, 4, 4, 3]),
    ),
    { input: 'globalAvgPool2d({ keepdims: true })', names: 'keepdims', run: () => globalAvgPool2d({ keepdims: true } as never) },
    applyCase('globalAvgPool2d.apply(x [2, 3])', 'x', () => globalAvgPool2d(), zeros([2, 3])),
    { input: 'flatten({ start_dim: 1 })', names: 'start_dim', run: () => flatten({ start_dim: 1 } as never) },
    { input: "flatten({ name: '' })", names: 'name', run: () => flatten({ name: '' }) },
    applyCase('flatten.apply(x [5]) (no batch axis)', 'x', () => flatten(), zeros([5])),
    // embedding
    {
      input: "embedding({ num_embeddings: 10, embedding_dim: 4 }) (PyTorch's names)",
      names: 'num_embeddings',
      run: () => embedding({ num_embeddings: 10, embedding_dim: 4 } as never),
    },
    { input: "embedding({ inputDim: 10, outputDim: 4 }) (Keras's names)", names: 'inputDim', run: () => embedding({ inputDim: 10, outputDim: 4 } as never) },
    { input: "embedding({ …, padding_idx: 0 }) (PyTorch's padding_idx)", names: 'padding_idx', run: () => embedding({ ...emb, padding_idx: 0 } as never) },
    { input: 'embedding({ numEmbeddings: 2.5, embeddingDim: 4 })', names: 'numEmbeddings', run: () => embedding({ numEmbeddings: 2.5, embeddingDim: 4 }) },
    {
      input: 'embedding({ numEmbeddings: 10, embeddingDim: NaN })',
      names: 'embeddingDim',
      run: () => embedding({ numEmbeddings: 10, embeddingDim: Number.NaN }),
    },
    {
      input: 'embedding({ …, initializer: normal }) (factory not called)',
      names: 'initializer',
      run: () => embedding({ numEmbeddings: 10, embeddingDim: 4, initializer: normal as never }),
    },
    { input: 'embedding({ …, seed: 1, initializer: normal() }) (seed ignored)', names: 'seed', run: () => embedding({ ...emb, initializer: normal() }) },
    applyCase(
      'embedding.apply(tf.tensor([1, 2])) (float indices)',
      'x',
      () => embedding(emb),
      () => tf.tensor1d([1, 2]),
    ),
    applyCase('embedding(10 rows).apply(indices [3, 10]) (out of range)', 'x', () => embedding(emb), ints([3, 10])),
    applyCase('embedding.apply(indices [-1]) (negative)', 'x', () => embedding(emb), ints([-1])),
    applyCase(
      'embedding.apply(bool mask)',
      'x',
      () => embedding(emb),
      () => tf.tensor1d([true, false], 'bool'),
    ),
    applyCase('embedding.apply(x, { keyPaddingMask })', 'keyPaddingMask', () => embedding(emb), ints([1]), { keyPaddingMask: tf.zeros([1]) }),
  ]));
