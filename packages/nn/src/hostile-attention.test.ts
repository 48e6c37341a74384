// The hostile user of multiHeadAttention and transformerBlock: PyTorch's spellings, wrong types and
// ranges, masks of the wrong shape or kind. Each must be a typed GradkitError naming the option or
// argument, thrown before a parameter or buffer changed.
import { flatten, type Module } from '@gradkit/core';
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { multiHeadAttention, sequential, transformerBlock } from './index.js';

const mha = { embedDim: 8, numHeads: 2, seed: 1 };
const block = { embedDim: 8, numHeads: 2, ffnDim: 16, seed: 1 };
/** Every leaf of a module's params and buffers, to watch. */
const leavesOf = (m: Module) => [...flatten(m.params), ...flatten(m.buffers ?? {})].map((e) => e.value);

/**
 * Gives every float leaf a value uploaded from the host (0.5), so that watching it reads no GPU
 * buffer: LayerNorm's γ and β are filled on the device, and each readback of one takes seconds on
 * WebGPU's software adapter when the machine is busy. The values do not matter here.
 */
const hostValues = (m: Module) => {
  for (const leaf of leavesOf(m))
    if (leaf.dtype === 'float32') {
      const v = tf.tensor(new Float32Array(leaf.size).fill(0.5), leaf.shape);
      (leaf as tf.Variable).assign(v);
      v.dispose();
    }
  return m;
};

/** A case that applies `make()` to `x()` with `options()`, watching the module's params and buffers. */
const applyCase = (input: string, names: string, make: () => Module, x: () => tf.Tensor, options?: () => object) => ({
  input,
  names,
  run: async (ctx: { watch: (...t: tf.Tensor[]) => Promise<void> }) => {
    const m = hostValues(make());
    await ctx.watch(...leavesOf(m));
    tf.tidy(() => void m.apply(x(), options?.() as never));
  },
});
const seq = () => tf.ones([2, 5, 8]);
const mask =
  (shape: number[], dtype: tf.DataType = 'bool') =>
  () => ({ keyPaddingMask: tf.zeros(shape, dtype) });

describe('attention, hostile', () =>
  hostileCases([
    {
      input: "multiHeadAttention({ embed_dim: 8, num_heads: 2 }) (PyTorch's names)",
      names: 'embed_dim',
      run: () => multiHeadAttention({ embed_dim: 8, num_heads: 2 } as never),
    },
    { input: 'multiHeadAttention(8, 2) (positional, as PyTorch)', names: 'options', run: () => multiHeadAttention(8 as never) },
    { input: 'multiHeadAttention()', names: 'options', run: () => (multiHeadAttention as (o?: unknown) => unknown)() },
    { input: 'multiHeadAttention({ embedDim: 8, numHeads: 3 })', names: 'numHeads', run: () => multiHeadAttention({ embedDim: 8, numHeads: 3 }) },
    { input: 'multiHeadAttention({ embedDim: 8, numHeads: 0 })', names: 'numHeads', run: () => multiHeadAttention({ embedDim: 8, numHeads: 0 }) },
    { input: 'multiHeadAttention({ embedDim: 8.5, numHeads: 2 })', names: 'embedDim', run: () => multiHeadAttention({ embedDim: 8.5, numHeads: 2 }) },
    { input: "multiHeadAttention({ embedDim: '8', numHeads: 2 })", names: 'embedDim', run: () => multiHeadAttention({ embedDim: '8' as never, numHeads: 2 }) },
    { input: 'multiHeadAttention({ numHeads: 2 }) (no embedDim)', names: 'embedDim', run: () => multiHeadAttention({ numHeads: 2 } as never) },
    { input: 'multiHeadAttention({ …, dropout: 1 })', names: 'dropout', run: () => multiHeadAttention({ ...mha, dropout: 1 }) },
    { input: 'multiHeadAttention({ …, dropout: NaN })', names: 'dropout', run: () => multiHeadAttention({ ...mha, dropout: Number.NaN }) },
    { input: "multiHeadAttention({ …, causal: 'yes' })", names: 'causal', run: () => multiHeadAttention({ ...mha, causal: 'yes' as never }) },
    { input: 'multiHeadAttention({ …, causal: null })', names: 'causal', run: () => multiHeadAttention({ ...mha, causal: null as never }) },
    { input: "multiHeadAttention({ …, bias: false }) (PyTorch's bias)", names: 'bias', run: () => multiHeadAttention({ ...mha, bias: false } as never) },
    { input: 'multiHeadAttention({ …, batch_first: true })', names: 'batch_first', run: () => multiHeadAttention({ ...mha, batch_first: true } as never) },
    { input: 'multiHeadAttention({ …, kdim: 4 }) (cross-attention)', names: 'kdim', run: () => multiHeadAttention({ ...mha, kdim: 4 } as never) },
    { input: 'multiHeadAttention({ …, seed: 1.5 })', names: 'seed', run: () => multiHeadAttention({ ...mha, seed: 1.5 }) },
    { input: "multiHeadAttention({ …, name: '' })", names: 'name', run: () => multiHeadAttention({ ...mha, name: '' }) },
    applyCase(
      'mha.apply(x with 6 features) (embedDim 8)',
      'x',
      () => multiHeadAttention(mha),
      () => tf.ones([2, 5, 6]),
    ),
    applyCase(
      'mha.apply(x [time, embedDim]) (no batch axis)',
      'x',
      () => multiHeadAttention(mha),
      () => tf.ones([5, 8]),
    ),
    applyCase(
      'mha.apply(int32 x)',
      'x',
      () => multiHeadAttention(mha),
      () => tf.ones([2, 5, 8], 'int32'),
    ),
    applyCase('mha.apply(x, { keyPaddingMask: [2, 4] }) (one key short)', 'keyPaddingMask', () => multiHeadAttention(mha), seq, mask([2, 4])),
    applyCase('mha.apply(x, { keyPaddingMask: [5, 2] }) (transposed)', 'keyPaddingMask', () => multiHeadAttention(mha), seq, mask([5, 2])),
    applyCase('mha.apply(x, { keyPaddingMask: [2, 5, 1] })', 'keyPaddingMask', () => multiHeadAttention(mha), seq, mask([2, 5, 1])),
    applyCase(
      'mha.apply(x, { keyPaddingMask: [[0, 1, …]] }) (an array)',
      'keyPaddingMask',
      () => multiHeadAttention(mha),
      seq,
      () => ({ keyPaddingMask: [[0, 0, 0, 0, 1]] }),
    ),
    applyCase(
      'mha.apply(x, { keyPaddingMask: a string tensor })',
      'keyPaddingMask',
      () => multiHeadAttention(mha),
      seq,
      () => ({
        keyPaddingMask: tf.tensor(new Array(10).fill('pad'), [2, 5], 'string'),
      }),
    ),
    applyCase(
      'mha.apply(x, { keyPaddingMask: disposed })',
      'keyPaddingMask',
      () => multiHeadAttention(mha),
      seq,
      () => {
        const m = tf.zeros([2, 5]);
        m.dispose();
        return { keyPaddingMask: m };
      },
    ),
    applyCase(
      'mha.apply(x, { key_padding_mask }) (PyTorch’s name)',
      'key_padding_mask',
      () => multiHeadAttention(mha),
      seq,
      () => ({ key_padding_mask: tf.zeros([2, 5]) }),
    ),
    applyCase(
      'mha.apply(x, { attnMask })',
      'attnMask',
      () => multiHeadAttention(mha),
      seq,
      () => ({ attnMask: tf.zeros([5, 5]) }),
    ),
    applyCase(
      'mha.apply(x, { initialState }) (a recurrent option)',
      'initialState',
      () => multiHeadAttention(mha),
      seq,
      () => ({ initialState: tf.zeros([2, 8]) }),
    ),
    applyCase(
      "mha.apply(x, { training: 'no' })",
      'training',
      () => multiHeadAttention({ ...mha, dropout: 0.5 }),
      seq,
      () => ({ training: 'no' }),
    ),
    {
      input: "transformerBlock({ d_model: 8, nhead: 2, dim_feedforward: 16 }) (PyTorch's names)",
      names: 'd_model',
      run: () => transformerBlock({ d_model: 8, nhead: 2, dim_feedforward: 16 } as never),
    },
    { input: 'transformerBlock({ …, norm_first: true })', names: 'norm_first', run: () => transformerBlock({ ...block, norm_first: true } as never) },
    {
      input: 'transformerBlock({ …, layer_norm_eps: 1e-6 })',
      names: 'layer_norm_eps',
      run: () => transformerBlock({ ...block, layer_norm_eps: 1e-6 } as never),
    },
    { input: 'transformerBlock({ embedDim: 8, numHeads: 3, ffnDim: 16 })', names: 'numHeads', run: () => transformerBlock({ ...block, numHeads: 3 }) },
    {
      input: 'transformerBlock({ embedDim: 8, numHeads: 2 }) (no ffnDim)',
      names: 'ffnDim',
      run: () => transformerBlock({ embedDim: 8, numHeads: 2 } as never),
    },
    { input: 'transformerBlock({ …, ffnDim: 0 })', names: 'ffnDim', run: () => transformerBlock({ ...block, ffnDim: 0 }) },
    { input: "transformerBlock({ …, norm: 'first' })", names: 'norm', run: () => transformerBlock({ ...block, norm: 'first' as never }) },
    { input: 'transformerBlock({ …, norm: true })', names: 'norm', run: () => transformerBlock({ ...block, norm: true as never }) },
    {
      input: "transformerBlock({ …, normalization: 'batchNorm' })",
      names: 'normalization',
      run: () => transformerBlock({ ...block, normalization: 'batchNorm' as never }),
    },
    { input: "transformerBlock({ …, activation: 'Gelu' })", names: 'activation', run: () => transformerBlock({ ...block, activation: 'Gelu' }) },
    { input: 'transformerBlock({ …, activation: null })', names: 'activation', run: () => transformerBlock({ ...block, activation: null as never }) },
    { input: 'transformerBlock({ …, dropout: -0.1 })', names: 'dropout', run: () => transformerBlock({ ...block, dropout: -0.1 }) },
    { input: 'transformerBlock({ …, dropout: Infinity })', names: 'dropout', run: () => transformerBlock({ ...block, dropout: Number.POSITIVE_INFINITY }) },
    { input: 'transformerBlock({ …, epsilon: 0 })', names: 'epsilon', run: () => transformerBlock({ ...block, epsilon: 0 }) },
    { input: 'transformerBlock({ …, seed: -0.5 })', names: 'seed', run: () => transformerBlock({ ...block, seed: -0.5 }) },
    applyCase(
      'block.apply(x with 6 features) (embedDim 8)',
      'x',
      () => transformerBlock(block),
      () => tf.ones([2, 5, 6]),
    ),
    applyCase('block.apply(x, { keyPaddingMask: [2, 6] })', 'keyPaddingMask', () => transformerBlock(block), seq, mask([2, 6], 'float32')),
    applyCase(
      'sequential(block, block).apply(x, { keyPaddingMask: [1, 5] }) (batch of one)',
      'keyPaddingMask',
      () => sequential(transformerBlock(block), transformerBlock(block)),
      seq,
      mask([1, 5]),
    ),
    applyCase(
      'sequential(block).apply(x, { keyPadingMask }) (misspelt)',
      'keyPadingMask',
      () => sequential(transformerBlock(block)),
      seq,
      () => ({ keyPadingMask: tf.zeros([2, 5]) }),
    ),
  ]));
