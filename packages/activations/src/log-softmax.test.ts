import { type HyperParameterError, ValueError } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { logSoftmax } from './log-softmax.js';
import { torchSoftmaxSuite } from './softmax-fixtures.js';

describe('logSoftmax (torch.nn.functional.log_softmax)', () => {
  torchSoftmaxSuite('logSoftmax', logSoftmax);

  it('is x − max − log Σ exp(x − max) (worked by hand), finite where log(softmax(x)) is −∞', async () => {
    const lse = 3 + Math.log(Math.exp(-2) + Math.exp(-1) + 1);
    const x = tf.tensor2d([
      [1, 2, 3],
      [1000, -1000, 0],
    ]);
    const y = logSoftmax(x);
    await expectClose(y, [
      [1 - lse, 2 - lse, 3 - lse],
      [0, -2000, -1000],
    ]);
    const cols = logSoftmax(x, -2);
    await expectClose(cols, [
      [-999, 0, 3 - (3 + Math.log1p(Math.exp(-3)))],
      [0, -1002, -3 - Math.log1p(Math.exp(-3))],
    ]);
    tf.dispose([x, y, cols]);
  });

  it('rejects an axis out of range or not an integer, a scalar, and a string tensor', () => {
    const x = tf.zeros([2, 3]);
    for (const axis of [2, -3, 1.5, null])
      expect(() => logSoftmax(x, axis as number), String(axis)).toThrow(expect.objectContaining({ field: 'axis' }) as unknown as HyperParameterError);
    const s = tf.scalar(1);
    expect(() => logSoftmax(s)).toThrow(ValueError);
    const str = tf.tensor(['a']);
    expect(() => logSoftmax(str)).toThrow(ValueError);
    tf.dispose([x, s, str]);
  });
});
