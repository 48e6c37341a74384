import { conv2d } from '@gradkit/nn';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { embedTokens, layerGradients, loadTorchConv, makeConvNet, separableBlock, train } from './conv-nets.js';

/** SwiftShader's software WebGPU compiles and runs the conv kernels slowly, more so on a loaded machine. */
const SLOW = 600_000;

/** 8 images 28×28: class k has a bright 4×4 square at row 2k (k < 5), plus noise. */
function batch(): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  return tf.tidy(() => {
    const ids = [0, 1, 2, 3, 4, 0, 1, 2];
    const rows = tf.reshape(tf.range(0, 28), [1, 28, 1, 1]);
    const starts = tf.reshape(tf.tensor1d(ids.map((k) => 4 * k + 2)), [8, 1, 1, 1]);
    const inside = tf.logicalAnd(tf.greaterEqual(rows, starts), tf.less(rows, tf.add(starts, 4)));
    const square = tf.tile(tf.cast(inside, 'float32'), [1, 1, 28, 1]);
    const images = tf.add(square, tf.randomNormal([8, 28, 28, 1], 0, 0.1, 'float32', 3)) as tf.Tensor4D;
    return { images, labels: tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), 10), 'float32') as tf.Tensor2D };
  });
}

describe('guide: conv nets', () => {
  it(
    'the conv net trains on one batch (the loss falls by 3× in 10 steps) without leaking',
    async () => {
      const net = makeConvNet(1);
      const { images, labels } = batch();
      const losses = await expectNoLeaks(() => train(net, images, labels, 10)); // a few steps: minutes on SwiftShader's WebGPU otherwise
      expect(losses[0]).toBeGreaterThan(1);
      expect(losses.at(-1)).toBeLessThan((losses[0] as number) / 3); // cpu: 3.07 → 0.63
      tf.dispose([images, labels]);
      net.dispose();
    },
    SLOW,
  );

  it('reads a gradient norm at every layer, input to output', async () => {
    const net = makeConvNet(2);
    const { images, labels } = batch();
    const norms = await layerGradients(net, images, labels);
    expect(Object.keys(norms)).toEqual(['0.conv2d', '1.maxPool2d', '2.conv2d', '3.maxPool2d', '4.flatten', '5.dense']);
    // flatten only reshapes: the same gradient, the same norm, as the pooling before it.
    expect(norms['4.flatten']).toBeCloseTo(norms['3.maxPool2d'] as number, 4);
    for (const n of Object.values(norms)) expect(n).toBeGreaterThan(0);
    tf.dispose([images, labels]);
    net.dispose();
  });

  it('loads a PyTorch weight [out, in, kh, kw]: kernel[p, q, c, o] = weight[o, c, p, q]', async () => {
    const layer = conv2d({ inChannels: 2, outChannels: 3, kernelSize: [2, 2], seed: 1 });
    const weight = tf.tensor4d(
      Array.from({ length: 24 }, (_, i) => i),
      [3, 2, 2, 2],
    ); // weight[o, c, p, q] = 8o + 4c + 2p + q
    const bias = tf.tensor1d([1, 2, 3]);
    loadTorchConv(layer, weight, bias);
    const kernel = (await layer.params.kernel.array()) as number[][][][];
    for (const [p, q, c, o] of [
      [0, 0, 0, 0],
      [1, 0, 1, 2],
      [0, 1, 1, 1],
    ] as const)
      expect(kernel[p]?.[q]?.[c]?.[o]).toBe(8 * o + 4 * c + 2 * p + q);
    await expectClose(layer.params.bias, [1, 2, 3]);
    tf.dispose([weight, bias]);
    layer.dispose();
  });

  it('the depthwise-separable residual block and the embedding have the documented shapes', () => {
    const head = separableBlock(4, 1);
    const x = tf.ones([2, 5, 5, 4]);
    const y = head.apply(x);
    expect(y.shape).toEqual([2, 10]);
    const tokens = tf.tensor2d([[1, 999, 3]], undefined, 'int32');
    const v = embedTokens(tokens);
    expect(v.shape).toEqual([1, 3, 16]);
    tf.dispose([x, y, tokens, v]);
    head.dispose();
  });
});
