import { type HyperParameterError, ValueError } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { softmax } from './softmax.js';
import { torchSoftmaxSuite } from './softmax-fixtures.js';

describe('softmax (torch.nn.functional.softmax)', () => {
  torchSoftmaxSuite('softmax', softmax);

  it('is exp(x − max)/Σ exp(x − max) (worked by hand) and sums to 1 along the axis', async () => {
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e[0]! + e[1]! + e[2]!;
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1000, 1000, -1000],
    ]);
    const y = softmax(x);
    await expectClose(y, [e.map((v) => v / s), [0, 1, 0]]);
    const rowSums = tf.sum(y, -1);
    await expectClose(rowSums, [1, 1]);
    const cols = softmax(x, 0);
    const colSums = tf.sum(cols, 0);
    await expectClose(colSums, [1, 1, 1]);
    await expectClose(cols, [
      [1, 0, 1],
      [0, 1, 0],
    ]);
    tf.dispose([x, y, cols, rowSums, colSums]);
  });

  it('casts an int32 input to float32', async () => {
    const x = tf.tensor1d([0, 0], 'int32');
    const y = softmax(x);
    expect(y.dtype).toBe('float32');
    await expectClose(y, [0.5, 0.5]);
    tf.dispose([x, y]);
  });

  it('rejects an axis out of range or not an integer, and a scalar', () => {
    const x = tf.zeros([2, 3]);
    for (const axis of [2, -3, 0.5, Number.NaN, '1'])
      expect(() => softmax(x, axis as number), String(axis)).toThrow(expect.objectContaining({ field: 'axis' }) as unknown as HyperParameterError);
    const s = tf.scalar(1);
    expect(() => softmax(s)).toThrow(ValueError);
    tf.dispose([x, s]);
  });
});
