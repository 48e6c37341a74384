import { Optimizer, valueAndGrad, withTaps } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { avgPool2d } from './avg-pool2d.js';
import { conv1d } from './conv1d.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { embedding } from './embedding.js';
import { flatten } from './flatten.js';
import { globalAvgPool2d } from './global-avg-pool2d.js';
import { maxPool2d } from './max-pool2d.js';
import { residual } from './residual.js';
import { sequential } from './sequential.js';
import { withSmallOutputMatMul } from './test-support.js';

/** 200 steps on SwiftShader's software WebGPU, on a loaded machine, take minutes. */
const SLOW = 600_000;

/** conv2d → maxPool2d → residual(conv2d 'same') → flatten → dense: the modules compose in sequential/residual. */
const convNet = () =>
  sequential(
    conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, activation: 'relu', seed: 1 }),
    maxPool2d({ kernelSize: 2 }),
    residual(conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 'same', activation: 'relu', seed: 2 })),
    flatten(),
    dense({ inFeatures: 4 * 3 * 3, outFeatures: 2, seed: 3 }),
  );

/** 16 images 8×8: class 0 bright on the left half, class 1 on the right, plus noise. */
function data(): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const labels = tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 'int32');
    const cols = tf.reshape(tf.range(0, 8), [1, 1, 8, 1]);
    const right = tf.cast(tf.greaterEqual(cols, 4), 'float32');
    const side = tf.reshape(tf.cast(labels, 'float32'), [16, 1, 1, 1]);
    const pattern = tf.add(tf.mul(side, right), tf.mul(tf.sub(1, side), tf.sub(1, right)));
    const x = tf.add(tf.mul(tf.tile(pattern, [1, 8, 1, 1]), 1), tf.randomNormal([16, 8, 8, 1], 0, 0.3, 'float32', 7)) as tf.Tensor4D;
    return { x, y: tf.cast(tf.oneHot(labels, 2), 'float32') as tf.Tensor2D };
  });
}

describe('conv nets', () => {
  it(
    'a conv → pool → residual conv → flatten → dense net trains 200 adam steps without leaking a tensor',
    () =>
      withSmallOutputMatMul(async () => {
        const net = convNet();
        const { x, y } = data();
        const loss = () => tf.losses.softmaxCrossEntropy(y, net.apply(x)) as tf.Scalar;
        const opt = new Optimizer(net.params, adam({ learningRate: 1e-2 }));
        const losses: number[] = [];
        await expectNoLeaks(
          async () => {
            for (let i = 0; i < 200; i++) {
              const { value, grads } = valueAndGrad<typeof net.params>(loss)(net.params);
              opt.step(grads);
              if (i === 0 || i === 199) losses.push((await value.data())[0] as number);
              tf.dispose([value, grads]);
            }
          },
          { what: '200 training steps' },
        );
        expect(losses[0]).toBeGreaterThan(0.5);
        expect(losses[1]).toBeLessThan(0.05);
        opt.dispose();
        tf.dispose([x, y]);
        net.dispose();
      }),
    SLOW,
  );

  it('taps every layer of a conv net, and the tap gradients agree with the parameter gradients', async () => {
    const net = convNet();
    const { x, y } = data();
    const loss = () => tf.losses.softmaxCrossEntropy(y, net.apply(x)) as tf.Scalar;
    const { result, taps } = withTaps(valueAndGrad<typeof net.params>(loss))(net.params);
    expect(Object.keys(taps)).toEqual(['0.conv2d', '1.maxPool2d', '2.inner.conv2d', '2.residual', '3.flatten', '4.dense']);
    expect(taps['1.maxPool2d']!.activation.shape).toEqual([16, 3, 3, 4]);
    // dL/dbias of the last dense = Σ over the batch of dL/d(output); the output's tap holds dL/d(output).
    const g = taps['4.dense']!.grad as tf.Tensor;
    const summed = tf.sum(g, 0);
    await expectClose(summed, await (result.grads as { 4: { bias: tf.Tensor } })[4].bias.data(), { rtol: 1e-4, atol: 1e-6 });
    tf.dispose([result.value, result.grads as never, taps as never, summed, x, y]);
    net.dispose();
  });

  it(
    'conv1d, avgPool2d, globalAvgPool2d and embedding leak nothing over 200 training steps',
    () =>
      withSmallOutputMatMul(async () => {
        const tokens = tf.tensor2d([[1, 4, 2, 0, 3, 3]], undefined, 'int32');
        const seq = sequential(
          embedding({ numEmbeddings: 5, embeddingDim: 4, seed: 1 }),
          conv1d({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 'same', groups: 2, dilation: 2, seed: 2 }),
          flatten(),
        );
        const img = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 3);
        const pooled = sequential(
          conv2d({ inChannels: 3, outChannels: 6, kernelSize: 3, groups: 3, padding: 1, seed: 4 }),
          avgPool2d({ kernelSize: 2, padding: 1 }),
          globalAvgPool2d(),
        );
        const loss = () => tf.add(tf.sum(tf.square(seq.apply(tokens))), tf.sum(tf.square(pooled.apply(img)))) as tf.Scalar;
        const opt = new Optimizer({ seq: seq.params, pooled: pooled.params }, adam({ learningRate: 1e-2 }));
        let first = 0;
        let last = 0;
        await expectNoLeaks(async () => {
          const params = { seq: seq.params, pooled: pooled.params };
          for (let i = 0; i < 200; i++) {
            const { value, grads } = valueAndGrad<typeof params>(loss)(params);
            opt.step(grads);
            if (i === 0) first = (await value.data())[0] as number;
            if (i === 199) last = (await value.data())[0] as number;
            tf.dispose([value, grads]);
          }
        });
        expect(last).toBeLessThan(first / 10);
        opt.dispose();
        tf.dispose([tokens, img]);
        seq.dispose();
        pooled.dispose();
      }),
    SLOW,
  );
});
