import { flatten, withTaps } from '@gradkit/core';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type PlaygroundConfig, parameterCount, TASK_DEFAULTS } from './config.js';
import { taskModel } from './task-models.js';

const config = (task: 'adding' | 'cnn' | 'transformer', changes: Partial<PlaygroundConfig> = {}): PlaygroundConfig => ({
  ...DEFAULT_CONFIG,
  ...TASK_DEFAULTS[task],
  ...changes,
});

/** The model's output shape, its parameter count and its tap names on `x` (everything disposed). */
function probe(c: PlaygroundConfig, x: tf.Tensor) {
  const model = taskModel(c);
  try {
    const { result, taps } = withTaps(() => model.apply(x, { training: false }))();
    const out = { shape: result.shape, params: flatten(model.params).reduce((n, { value }) => n + value.size, 0), taps: Object.keys(taps) };
    tf.dispose([result, taps as unknown as tf.TensorContainer]);
    return out;
  } finally {
    model.dispose();
  }
}

describe('the task models', () => {
  it('adding: one number per sequence, a step tap per t, as many parameters as the memory estimate counts', async () => {
    const x = tf.zeros([2, 5, 2]);
    await expectNoLeaks(() => {
      for (const cell of ['tanh', 'irnn', 'lstm', 'gru'] as const) {
        const c = config('adding', { cell, width: 6, seqLength: 5 });
        const got = probe(c, x);
        const name = { tanh: 'simpleRnn', irnn: 'simpleRnn', lstm: 'lstm', gru: 'gru' }[cell];
        expect(got.shape).toEqual([2, 1]);
        expect(got.params).toBe(parameterCount(c));
        expect(got.taps.filter((t) => /\.t\d+$/.test(t))).toEqual([0, 1, 2, 3, 4].map((t) => `0.${name}.t${t}`));
      }
    });
    x.dispose();
  });
  it('adding: the IRNN is a relu RNN whose recurrent kernel starts as the identity', async () => {
    const model = taskModel(config('adding', { cell: 'irnn', width: 3 }));
    const rnn = (model.params as unknown as [{ recurrentKernel: tf.Variable }])[0];
    expect(Array.from(await rnn.recurrentKernel.data())).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    model.dispose();
  });
  it('cnn: ten logits per image, depth conv layers (plain, + BatchNorm, residual), parameters as counted', async () => {
    const x = tf.zeros([2, 28, 28, 1]);
    for (const changes of [{}, { norm: 'batch' as const }, { norm: 'batch' as const, residual: true }]) {
      const c = config('cnn', { depth: 3, width: 4, ...changes });
      const got = probe(c, x);
      expect(got.shape).toEqual([2, 10]);
      expect(got.params).toBe(parameterCount(c));
      expect(got.taps.filter((t) => t.endsWith('conv2d')).length).toBe(4); // the stem and 3 layers
      expect(got.taps.filter((t) => t.endsWith('.residual')).length).toBe('residual' in changes ? 3 : 0);
    }
    x.dispose();
  });
  it('transformer: ten logits per position, attention taps per block (Post-LN and Pre-LN), parameters as counted', async () => {
    const x = tf.tensor2d([0, 1, 2, 3, 4, 5, 6, 7], [2, 4], 'int32');
    for (const blockNorm of ['post', 'pre'] as const) {
      const c = config('transformer', { depth: 2, width: 8, seqLength: 4, blockNorm });
      const got = probe(c, x);
      expect(got.shape).toEqual([2, 4, 10]);
      expect(got.params).toBe(parameterCount(c));
      expect(got.taps.filter((t) => t.endsWith('.probs'))).toEqual([
        '2.transformerBlock.attention.multiHeadAttention.probs',
        '3.transformerBlock.attention.multiHeadAttention.probs',
      ]);
    }
    x.dispose();
  });
});
