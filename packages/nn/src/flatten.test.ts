import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { flatten } from './flatten.js';
import { expectHyperError } from './test-support.js';

describe('flatten', () => {
  it('keeps the batch axis and flattens the rest in row-major order (channels fastest for NHWC)', async () => {
    const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]);
    const flat = flatten().apply(x);
    await expectClose(flat, [[1, 10, 2, 20, 3, 30, 4, 40]]);
    const empty = tf.zeros([0, 3, 2]);
    const none = flatten().apply(empty);
    expect(none.shape).toEqual([0, 6]);
    await expectNoLeaks(() => flatten().apply(x).dispose());
    tf.dispose([x, flat, empty, none]);
  });

  it('rejects an input without a batch axis and unknown options, naming them', () => {
    const v = tf.zeros([4]);
    expect(() => flatten().apply(v)).toThrow(/flatten: expected input \[batch, \.\.\.\] of rank ≥ 2, got shape \[4\]/);
    v.dispose();
    expectHyperError(() => flatten({ startDim: 1 } as never), 'startDim');
  });
});
