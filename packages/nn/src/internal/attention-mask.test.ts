import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { attentionMask, causalMask, MASKED } from './attention-mask.js';

describe('attention masks', () => {
  it('the causal mask, built on the device: MASKED above the diagonal, 0 on and below (query i sees keys 0 … i)', async () => {
    const m = await expectNoLeaks(() => causalMask(4));
    const M = MASKED;
    expect(m.shape).toEqual([4, 4]);
    await expectClose(m, [
      [0, M, M, M],
      [0, 0, M, M],
      [0, 0, 0, M],
      [0, 0, 0, 0],
    ]);
    m.dispose();
  });

  it('a padding mask adds to the causal one; a query that sees no key is not live', async () => {
    const padding = tf.tensor2d([[1, 0, 0]], [1, 3], 'bool'); // key 0 is padding: query 0 sees nothing
    const { additive, live } = tf.tidy(() => {
      const r = attentionMask(padding, true, 3);
      return { additive: tf.reshape(r.additive as tf.Tensor, [3, 3]), live: tf.reshape(r.live as tf.Tensor, [3]) };
    });
    const M = MASKED;
    await expectClose(additive, [
      [M, M, M],
      [M, 0, M],
      [M, 0, 0],
    ]);
    await expectClose(live, [0, 1, 1]);
    tf.dispose([padding, additive, live]);
  });
});
