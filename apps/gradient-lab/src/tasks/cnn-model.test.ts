// The nets of the cnn task: their layers and parameter shapes, the taps at every depth, a few steps
// that reduce the loss, no leaked tensor.
import { withTaps } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildCnn } from './cnn-model.js';
import { lossesOnOneBatch, withSmallMatMul } from './cnn-test-support.js';

const images = () => tf.tidy(() => tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D);

describe('buildCnn', () => {
  it('plain: pool, stem conv (stride 2), depth − 2 convs with ReLU, global pool, dense; He et al. count depth weight layers', () => {
    const net = buildCnn('plain', { depth: 6, channels: 3, seed: 1 });
    const x = images();
    const { result, taps } = withTaps(() => net.apply(x))();
    expect(result.shape).toEqual([4, 10]);
    expect(Object.keys(taps)).toEqual([
      '0.avgPool2d',
      '1.conv2d',
      '2.relu',
      '3.conv2d',
      '4.relu',
      '5.conv2d',
      '6.relu',
      '7.conv2d',
      '8.relu',
      '9.conv2d',
      '10.relu',
      '11.globalAvgPool2d',
      '12.dense',
    ]);
    expect(taps['1.conv2d']?.activation.shape).toEqual([4, 7, 7, 3]);
    const kernels = (net.params as unknown as { kernel?: tf.Variable }[]).filter((p) => p.kernel).map((p) => p.kernel?.shape);
    expect(kernels).toEqual([
      [3, 3, 1, 3],
      [3, 3, 3, 3],
      [3, 3, 3, 3],
      [3, 3, 3, 3],
      [3, 3, 3, 3],
      [3, 10],
    ]); // 6 weight layers
    tf.dispose([result, taps as unknown as tf.TensorContainer, x]);
    net.dispose();
  });

  it('batchnorm: a BatchNorm over the channels after every conv, whose convs have no bias', () => {
    const net = buildCnn('batchnorm', { depth: 4, channels: 3, seed: 1 });
    const params = net.params as unknown as Record<string, tf.Variable>[];
    expect(params[1]).toEqual({ kernel: expect.anything() });
    expect(params[2]?.gamma?.shape).toEqual([3]);
    expect(params.filter((p) => p.gamma).length).toBe(3);
    net.dispose();
  });

  it('residual: (depth − 2)/2 blocks x + BN(conv(ReLU(BN(conv(x))))) each followed by ReLU, tapped at the sum', () => {
    const net = buildCnn('residual', { depth: 6, channels: 3, seed: 1 });
    const x = images();
    const { result, taps } = withTaps(() => net.apply(x))();
    const sums = Object.keys(taps).filter((n) => n.endsWith('.residual'));
    expect(sums).toEqual(['4.residual', '6.residual']);
    expect(Object.keys(taps)).toContain('4.inner.3.conv2d');
    tf.dispose([result, taps as unknown as tf.TensorContainer, x]);
    net.dispose();
  });

  it('the same seed gives the same first kernel; another seed another', async () => {
    const nets = [1, 1, 2].map((seed) => buildCnn('plain', { depth: 4, channels: 2, seed }));
    const [a, b, c] = await Promise.all(
      nets.map(async (n) => [...(await ((n.params as unknown as { kernel: tf.Variable }[])[1] as { kernel: tf.Variable }).kernel.data())]),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const n of nets) n.dispose();
  });

  for (const variant of ['plain', 'batchnorm', 'residual'] as const)
    it(`${variant}: 10 SGD steps on one batch lower the loss, leaking nothing`, { timeout: 120_000 }, () =>
      withSmallMatMul(async () => {
        const x = images();
        const y = tf.tensor1d([0, 1, 2, 3], 'int32');
        await expectNoLeaks(async () => {
          const losses = await lossesOnOneBatch(buildCnn(variant, { depth: 4, channels: 4, seed: 3 }), sgd({ learningRate: 0.05, momentum: 0.9 }), x, y, 10);
          expect(losses.at(-1)).toBeLessThan((losses[0] as number) - 0.05);
        });
        tf.dispose([x, y]);
      }),
    );
});
