// Tap names of modules with sub-layers: everything a module taps starts with its own tap path, so
// two modules with different names applied in one pass never collide.
import { withTaps } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { multiHeadAttention } from './multi-head-attention.js';
import { sequential } from './sequential.js';
import { transformerBlock } from './transformer-block.js';

describe('tap names of modules with sub-layers', () => {
  it('two attention modules with dropout, applied side by side, tap their dropouts under their own names', () => {
    const a = multiHeadAttention({ embedDim: 4, numHeads: 2, dropout: 0.1, seed: 1, name: 'self' });
    const b = multiHeadAttention({ embedDim: 4, numHeads: 2, dropout: 0.1, seed: 2, name: 'other' });
    const x = tf.ones([1, 3, 4]);
    const { result, taps } = withTaps(() => tf.add(a.apply(x), b.apply(x)))();
    expect(Object.keys(taps)).toEqual([
      'self.logits',
      'self.probs',
      'self.attentionDropout.dropout',
      'self',
      'other.logits',
      'other.probs',
      'other.attentionDropout.dropout',
      'other',
    ]);
    tf.dispose([x, result, taps as unknown as tf.TensorContainer]);
    a.dispose();
    b.dispose();
  });

  it('two transformer blocks named enc1 and enc2, applied at the root, tap apart; in a sequential, under the index and the name', () => {
    const make = (name: string, seed: number) => transformerBlock({ embedDim: 4, numHeads: 2, ffnDim: 4, seed, name });
    const [enc1, enc2] = [make('enc1', 1), make('enc2', 2)];
    const x = tf.ones([1, 2, 4]);
    const { result, taps } = withTaps(() => enc2.apply(enc1.apply(x)))();
    const names = Object.keys(taps);
    expect(names.filter((n) => n.startsWith('enc1'))).toHaveLength(names.length / 2);
    expect(names).toContain('enc1.norm1.layerNorm');
    expect(names).toContain('enc2.norm1.layerNorm');
    expect(names).toContain('enc2.attention.multiHeadAttention.probs');
    expect(names.at(-1)).toBe('enc2');
    tf.dispose([result, taps as unknown as tf.TensorContainer]);
    const net = sequential(make('transformerBlock', 3));
    const inner = withTaps(() => net.apply(x))();
    expect(Object.keys(inner.taps)).toContain('0.transformerBlock.linear1.dense');
    tf.dispose([x, inner.result, inner.taps as unknown as tf.TensorContainer]);
    for (const m of [enc1, enc2, net]) m.dispose();
  });
});
