// The encoder of the transformer task: parameter shapes, taps (attention logits and probabilities per
// block), a few steps that reduce the loss, no leaked tensor.
import { withTaps } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { lossesOnOneBatch, withSmallMatMul } from './cnn-test-support.js';
import { digitStream, reversalBatch, reversalTensors, VOCAB } from './transformer-data.js';
import { buildEncoder } from './transformer-model.js';

describe('buildEncoder', () => {
  it('embeds digit and position, stacks the blocks with the norm asked for, and taps each attention', () => {
    const net = buildEncoder({ depth: 2, width: 8, heads: 2, length: 4, norm: 'post', seed: 1 });
    const params = net.params as unknown as [
      { kernel: tf.Variable },
      { norm1: unknown; attention: { query: { kernel: tf.Variable } } },
      unknown,
      { kernel: tf.Variable },
    ];
    expect(params[0].kernel.shape).toEqual([VOCAB + 4, 8]);
    expect(params[1].attention.query.kernel.shape).toEqual([8, 8]);
    expect(Object.keys(params[1])[0]).toBe('attention'); // post-norm lists the attention first
    expect(params[3].kernel.shape).toEqual([8, VOCAB]);
    const pre = buildEncoder({ depth: 1, width: 8, heads: 2, length: 4, norm: 'pre', seed: 1 });
    expect(Object.keys((pre.params as unknown as object[])[1] as object)[0]).toBe('norm1');
    const { x, y } = reversalTensors(reversalBatch(digitStream(1), 3, 4));
    const { result, taps } = withTaps(() => net.apply(x))();
    expect(result.shape).toEqual([3, 4, VOCAB]);
    const names = Object.keys(taps);
    expect(names).toContain('1.transformerBlock.attention.multiHeadAttention.logits');
    expect(names).toContain('2.transformerBlock.attention.multiHeadAttention.probs');
    expect(names).toContain('1.transformerBlock');
    expect(taps['1.transformerBlock.attention.multiHeadAttention.probs']?.activation.shape).toEqual([3, 2, 4, 4]);
    tf.dispose([result, taps as unknown as tf.TensorContainer, x, y]);
    net.dispose();
    pre.dispose();
  });

  it('learns: 15 Adam steps on one batch lower the per-token cross-entropy, leaking nothing', { timeout: 120_000 }, () =>
    withSmallMatMul(async () => {
      const { x, y } = reversalTensors(reversalBatch(digitStream(3), 8, 4));
      await expectNoLeaks(async () => {
        const net = buildEncoder({ depth: 1, width: 8, heads: 2, length: 4, norm: 'pre', seed: 2 });
        const losses = await lossesOnOneBatch(net, adam({ learningRate: 1e-2 }), x, y, 15);
        // Uniform logits give ln 10 ≈ 2.30; the first loss is near it, and the last well below.
        expect(losses[0]).toBeGreaterThan(1.8);
        expect(losses.at(-1)).toBeLessThan((losses[0] as number) - 0.3);
      });
      tf.dispose([x, y]);
    }),
  );
});
