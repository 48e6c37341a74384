import { valueAndGrad } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectMatchesTorch, torchReference } from './internal/conv-fixture.js';
import { maxPool2d } from './max-pool2d.js';
import { expectHyperError } from './test-support.js';

// Reference: packages/nn/fixtures/conv.py (PyTorch 1.13, float64) → conv.json: F.max_pool2d on NCHW
// (x.permute(0, 3, 1, 2)); 'same' is F.pad with −∞ and TF's split (the extra position after).
describe('maxPool2d against PyTorch (F.max_pool2d)', () => {
  for (const c of torchReference.pool.filter((p) => p.kind === 'max'))
    it(`${c.name}: output and dL/dx`, async () => {
      const pool = maxPool2d(c.options as never);
      await expectMatchesTorch(pool, c, {}, c.name);
      pool.dispose();
    });
});

describe('maxPool2d', () => {
  it('padded positions never win (−∞), stride defaults to the window', async () => {
    // 3×3 image [1 −2 3; −4 5 −6; 7 −8 9]; window 2, padding 1, stride 2 → windows over the padded 5×5
    // at rows/cols 0 and 2: {1}, {−2, 3}, {−4, 7}, {5, −6, −8, 9}; negated: {−1}, {2, −3}, {4, −7}, {−5, 6, 8, −9}.
    const x = tf.tensor4d([1, -2, 3, -4, 5, -6, 7, -8, 9], [1, 3, 3, 1]);
    const pool = maxPool2d({ kernelSize: 2, padding: 1 });
    expect(pool.stride).toEqual([2, 2]);
    const y = pool.apply(x);
    await expectClose(y, [
      [
        [[1], [3]],
        [[7], [9]],
      ],
    ]);
    const neg = tf.neg(x);
    const yn = pool.apply(neg); // all-negative windows: a zero pad would win
    await expectClose(yn, [
      [
        [[-1], [2]],
        [[4], [8]],
      ],
    ]);
    tf.dispose([x, y, neg, yn]);
    pool.dispose();
  });

  it('sends the gradient to the maximum of each window, also when every value is negative', async () => {
    // Window 2×2 over [−3 −1; −2 −4] and [1 4; 2 3] (two channels): the maxima are −1 and 4, at (0, 1).
    const x = tf.tensor4d([-3, 1, -1, 4, -2, 2, -4, 3], [1, 2, 2, 2]);
    const pool = maxPool2d({ kernelSize: 2 });
    const { value, grads } = valueAndGrad((p: { x: tf.Tensor }) => tf.sum(tf.mul(pool.apply(p.x), tf.tensor1d([10, 20]))))({ x });
    await expectClose(grads.x, [
      [
        [
          [0, 0],
          [10, 20],
        ],
        [
          [0, 0],
          [0, 0],
        ],
      ],
    ]);
    tf.dispose([x, value, grads.x]);
  });

  it('rejects bad options and inputs, naming them, and leaks nothing', async () => {
    expectHyperError(() => maxPool2d({ kernelSize: 2, padding: 2 }), 'padding', /more than half the window/);
    expectHyperError(() => maxPool2d({ pool_size: 2 } as never), 'pool_size', /kernelSize/);
    expectHyperError(() => maxPool2d({ kernelSize: [2, 0] }), 'kernelSize');
    expectHyperError(() => maxPool2d({} as never), 'kernelSize', /required/);
    const pool = maxPool2d({ kernelSize: 3 });
    for (const [shape, message] of [
      [[2, 3, 3], /\[batch, height, width, channels\]/],
      [[1, 2, 5, 1], /height \(2\) is smaller than the kernel \(3\)/],
    ] as [number[], RegExp][]) {
      const x = tf.zeros(shape);
      expect(() => pool.apply(x)).toThrow(message);
      x.dispose();
    }
    const x = tf.ones([2, 6, 6, 3]);
    await expectNoLeaks(() => {
      for (let i = 0; i < 10; i++) pool.apply(x).dispose();
    });
    x.dispose();
  });
});
