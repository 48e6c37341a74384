import { lstm } from '@gradkit/nn';
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fromState, gradientThroughTime, loadTorchLstm, makeClassifier, makeIrnn, train } from './recurrent-nets.js';

const SLOW = 300_000;

/** 6 sequences of 5 steps: class k (0, 1, 2) has feature k set to 1 at step 0 only, plus noise. */
function batch(): { x: tf.Tensor3D; labels: tf.Tensor2D } {
  return tf.tidy(() => {
    const ids = [0, 1, 2, 0, 1, 2];
    const first = tf.reshape(tf.oneHot(tf.tensor1d(ids, 'int32'), 8), [6, 1, 8]);
    const signal = tf.concat([first, tf.zeros([6, 4, 8])], 1);
    const x = tf.add(signal, tf.randomNormal([6, 5, 8], 0, 0.1, 'float32', 2)) as tf.Tensor3D;
    return { x, labels: tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), 3), 'float32') as tf.Tensor2D };
  });
}

describe('guide: recurrent nets', () => {
  it(
    'the LSTM classifier remembers step 0 and trains (the loss falls by 4×) without leaking',
    async () => {
      const net = makeClassifier(1);
      const { x, labels } = batch();
      const steps = currentBackend() === 'webgpu' ? 15 : 60; // minutes on SwiftShader's WebGPU otherwise
      const losses = await expectNoLeaks(() => train(net, x, labels, steps));
      expect(losses.at(-1)).toBeLessThan((losses[0] as number) / (steps === 60 ? 4 : 1.2));
      tf.dispose([x, labels]);
      net.dispose();
    },
    SLOW,
  );

  it('reads ‖∂L/∂hₜ‖ at every step; the last step gets the loss’s gradient directly', async () => {
    const net = makeClassifier(2);
    const { x, labels } = batch();
    const norms = await gradientThroughTime(net, x, labels);
    expect(norms).toHaveLength(5);
    for (const n of norms) expect(n).toBeGreaterThan(0);
    tf.dispose([x, labels]);
    net.dispose();
  });

  it('IRNN: relu and the identity recurrent kernel', async () => {
    const irnn = makeIrnn();
    expect(irnn.activation).toBe('relu');
    const diag = tf.tidy(() => tf.sum(tf.mul(irnn.params.recurrentKernel, tf.eye(100))));
    await expectClose(diag, 100);
    await expectClose(
      tf.tidy(() => tf.sum(tf.abs(irnn.params.recurrentKernel))),
      100,
    );
    diag.dispose();
    irnn.dispose();
  });

  it('ports PyTorch weights: kernel = weight_ihᵀ, recurrentKernel = weight_hhᵀ, bias = bias_ih + bias_hh', async () => {
    const layer = lstm({ inputSize: 2, hiddenSize: 1, seed: 1 });
    const wIh = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const wHh = tf.tensor2d([[0.1], [0.2], [0.3], [0.4]]);
    const bIh = tf.tensor1d([1, 1, 1, 1]);
    const bHh = tf.tensor1d([0, 1, 2, 3]);
    loadTorchLstm(layer, wIh, wHh, bIh, bHh);
    await expectClose(layer.params.kernel, [
      [1, 3, 5, 7],
      [2, 4, 6, 8],
    ]);
    await expectClose(layer.params.recurrentKernel, [[0.1, 0.2, 0.3, 0.4]]);
    await expectClose(layer.params.bias, [1, 2, 3, 4]);
    const x = tf.zeros([1, 2, 2]) as tf.Tensor3D;
    const [h0, c0] = [tf.zeros([1, 1]) as tf.Tensor2D, tf.ones([1, 1]) as tf.Tensor2D];
    const hs = fromState(layer, x, h0, c0);
    expect(hs.shape).toEqual([1, 2, 1]);
    tf.dispose([wIh, wHh, bIh, bHh, x, h0, c0, hs]);
    layer.dispose();
  });
});
