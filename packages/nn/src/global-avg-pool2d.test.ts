import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { globalAvgPool2d } from './global-avg-pool2d.js';
import { expectHyperError } from './test-support.js';

describe('globalAvgPool2d', () => {
  it('averages each channel over height and width: [batch, h, w, c] → [batch, c]; gradient 1/(h·w)', async () => {
    const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]);
    const gap = globalAvgPool2d({ name: 'gap' });
    const y = gap.apply(x);
    await expectClose(y, [[2.5, 25]]);
    const dx = tf.grad((v: tf.Tensor) => tf.sum(gap.apply(v)))(x);
    const quarter = [0.25, 0.25];
    await expectClose(dx, [
      [
        [quarter, quarter],
        [quarter, quarter],
      ],
    ]);
    tf.dispose([x, y, dx]);
  });

  it('rejects inputs that are not images and unknown options, naming them', () => {
    const v = tf.zeros([2, 3]);
    expect(() => globalAvgPool2d().apply(v)).toThrow(/globalAvgPool2d: expected input \[batch, height, width, channels\] \(NHWC\), got shape \[2, 3\]/);
    v.dispose();
    expectHyperError(() => globalAvgPool2d({ keepdims: true } as never), 'keepdims');
  });
});
