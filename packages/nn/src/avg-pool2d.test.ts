import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { avgPool2d } from './avg-pool2d.js';
import { expectMatchesTorch, torchReference } from './internal/conv-fixture.js';
import { expectHyperError } from './test-support.js';

// Reference: packages/nn/fixtures/conv.py (PyTorch 1.13, float64) → conv.json: F.avg_pool2d on NCHW
// (x.permute(0, 3, 1, 2)); a number pads as PyTorch (count_include_pad=True); 'same' is the mean over
// in-image positions only, computed there as avg(pad(x)) / avg(pad(ones)) with TF's split.
describe('avgPool2d against PyTorch (F.avg_pool2d)', () => {
  for (const c of torchReference.pool.filter((p) => p.kind === 'avg'))
    it(`${c.name}: output and dL/dx`, async () => {
      const pool = avgPool2d(c.options as never);
      await expectMatchesTorch(pool, c, {}, c.name);
      pool.dispose();
    });
});

describe('avgPool2d', () => {
  it('padded zeros count with a number (PyTorch), not with same (Keras)', async () => {
    const x = tf.tensor4d([1, -2, 3, -4, 5, -6, 7, -8, 9], [1, 3, 3, 1]);
    const counted = avgPool2d({ kernelSize: 2, padding: 1 }).apply(x); // windows {1}, {−2, 3}, {−4, 7}, {5, −6, −8, 9}, each / 4
    await expectClose(counted, [
      [
        [[1 / 4], [1 / 4]],
        [[3 / 4], [0]],
      ],
    ]);
    // 'same', window 2, stride 1 on 3×3: padding 1 after; the last row/column average fewer values.
    const same = avgPool2d({ kernelSize: 2, stride: 1, padding: 'same' }).apply(x);
    await expectClose(same, [
      [
        [[0], [0], [-3 / 2]],
        [[0], [0], [3 / 2]],
        [[-1 / 2], [1 / 2], [9]],
      ],
    ]);
    tf.dispose([x, counted, same]);
  });

  it("the gradient of 'same' divides by the in-image count at the border (tfjs's own AvgPool gradient does not; @gradkit/core fixes it)", async () => {
    // y = mean of each 'same' 2×2 window of a 1×2 image [a, b] (stride 1): y0 = (a + b)/2, y1 = b/1.
    // ∂(y0 + y1)/∂a = 1/2, ∂/∂b = 1/2 + 1 = 3/2. tfjs's AvgPoolGrad gives 1/4 and 1/4 + 1/4.
    const x = tf.tensor4d([3, 5], [1, 1, 2, 1]);
    const pool = avgPool2d({ kernelSize: 2, stride: 1, padding: 'same' });
    const dx = tf.grad((v: tf.Tensor) => tf.sum(pool.apply(v)))(x);
    await expectClose(dx, [[[[0.5], [1.5]]]]);
    tf.dispose([x, dx]);
  });

  it('rejects bad options and inputs naming them, and leaks nothing', async () => {
    expectHyperError(() => avgPool2d({ kernelSize: 2, count_include_pad: false } as never), 'count_include_pad');
    expectHyperError(() => avgPool2d({ kernelSize: 2, stride: 0 }), 'stride');
    expectHyperError(() => avgPool2d({ kernelSize: [4, 2], padding: [1, 2] }), 'padding', /more than half the window 2/);
    const x = tf.ones([2, 6, 6, 3]);
    const pools = [avgPool2d({ kernelSize: 2, padding: 1 }), avgPool2d({ kernelSize: 3, stride: 2, padding: 'same' })];
    await expectNoLeaks(() => {
      for (const p of pools) tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(p.apply(v)))(x));
    });
    x.dispose();
  });
});
