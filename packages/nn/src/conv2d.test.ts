import { valueAndGrad } from '@gradkit/core';
import { computeFans } from '@gradkit/initializers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Conv2dOptions, conv2d } from './conv2d.js';
import { expectMatchesTorch, initFrom, torchReference } from './internal/conv-fixture.js';
import { expectHyperError } from './test-support.js';

// Reference: packages/nn/fixtures/conv.py (PyTorch 1.13, float64) → conv.json. PyTorch's weight
// [out, in/groups, kh, kw] maps to gradkit's kernel by permute(2, 3, 1, 0); inputs NHWC ↔ NCHW by
// permute(0, 3, 1, 2); 'same' with stride 2 is F.pad with TF's split before F.conv2d.
describe('conv2d against PyTorch (nn.Conv2d / F.conv2d)', () => {
  for (const c of torchReference.conv2d)
    it(`${c.name}: output and dL/dx, dL/dkernel, dL/dbias`, async () => {
      const layer = conv2d({ ...(c.options as unknown as Conv2dOptions), kernelInitializer: initFrom(c.kernel), biasInitializer: initFrom(c.bias) });
      await expectMatchesTorch(layer, c, { kernel: c.dkernel, bias: c.dbias }, c.name);
      layer.dispose();
    });
});

describe('conv2d', () => {
  it('computes a hand-worked 2×2 convolution with stride and zero padding', async () => {
    // x = 1 … 9 in a 3×3 image, one channel; kernel [[1, 0], [0, −1]] (x[i, j] − x[i+1, j+1]); padding 1, stride 2.
    // Padded 5×5 windows at (0, 0), (0, 2), (2, 0), (2, 2) of the padded image: 0 − 1, 0 − 3, 0 − 7, 5 − 9.
    const layer = conv2d({ inChannels: 1, outChannels: 1, kernelSize: 2, stride: 2, padding: 1, useBias: false, kernelInitializer: initFrom([1, 0, 0, -1]) });
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const y = layer.apply(x);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    await expectClose(y, [
      [
        [[-1], [-3]],
        [[-7], [-4]],
      ],
    ]);
    tf.dispose([x, y]);
    layer.dispose();
  });

  it("'same' gives ⌈n/s⌉ outputs and pads the extra row/column at the bottom/right (TF), a number pads both sides (PyTorch)", async () => {
    // Kernel 2×2 of ones, stride 1, 'same' on a 2×2 image of [1, 2; 3, 4]: total padding 1, all of it after.
    const layer = conv2d({ inChannels: 1, outChannels: 1, kernelSize: 2, padding: 'same', useBias: false, kernelInitializer: initFrom([1, 1, 1, 1]) });
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = layer.apply(x);
    await expectClose(y, [
      [
        [[10], [6]],
        [[7], [4]],
      ],
    ]); // a window whose padding were before would give 1 at (0, 0)
    const strided = conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, stride: 2, padding: 'same', seed: 1 });
    const big = tf.zeros([2, 7, 8, 1]);
    const out = strided.apply(big);
    expect(out.shape).toEqual([2, 4, 4, 2]);
    tf.dispose([x, y, big, out]);
    layer.dispose();
    strided.dispose();
  });

  it('holds { kernel [kh, kw, in/groups, out], bias [out] }; default Glorot-uniform with conv fans, seeded', async () => {
    const a = conv2d({ inChannels: 4, outChannels: 6, kernelSize: [3, 5], groups: 2, seed: 3 });
    const b = conv2d({ inChannels: 4, outChannels: 6, kernelSize: [3, 5], groups: 2, seed: 3 });
    expect(a.params.kernel.shape).toEqual([3, 5, 2, 6]);
    expect(a.params.bias.shape).toEqual([6]);
    expect(a.kernelSize).toEqual([3, 5]);
    expect(a.stride).toEqual([1, 1]);
    expect(a.padding).toBe('valid');
    const [ka, kb] = await Promise.all([a.params.kernel.data(), b.params.kernel.data()]);
    expect(Array.from(kb)).toEqual(Array.from(ka));
    // Keras: fanIn = kh·kw·in/groups = 30, fanOut = kh·kw·out = 90 (PyTorch's fans for [out, in/g, kh, kw] agree).
    expect(computeFans([3, 5, 2, 6])).toEqual({ fanIn: 30, fanOut: 90, receptiveField: 15 });
    const limit = Math.sqrt(6 / (30 + 90));
    const max = Math.max(...Array.from(ka, Math.abs));
    expect(max).toBeLessThanOrEqual(limit + 1e-6);
    expect(max).toBeGreaterThan(0.8 * limit); // 180 draws from U(−b, b) come near b
    a.dispose();
    b.dispose();
  });

  it('rejects inputs of the wrong rank, channel count, dtype or size before computing, naming x and the expected shape', () => {
    const layer = conv2d({ inChannels: 3, outChannels: 4, kernelSize: 5, dilation: 2, seed: 1 });
    const cases: [number[], RegExp, tf.DataType?][] = [
      [[2, 16, 16], /expected input \[batch, height, width, 3\] \(NHWC\), got shape \[2, 16, 16\]/],
      [[2, 16, 16, 4], /\[batch, height, width, 3\]/],
      [[2, 3, 16, 16], /channels-first input \(PyTorch\) must be transposed/],
      [[1, 8, 16, 3], /height \(8\) is smaller than the dilated kernel \(9\)/],
      [[1, 16, 16, 3], /float32, got int32/, 'int32'],
    ];
    for (const [shape, message, dtype] of cases) {
      const x = tf.zeros(shape, dtype);
      const before = tf.memory().numTensors;
      expect(() => layer.apply(x)).toThrow(message);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    }
    layer.dispose();
  });

  it('rejects bad options naming them', () => {
    const ok = { inChannels: 4, outChannels: 6, kernelSize: 3 };
    expectHyperError(() => conv2d({ ...ok, groups: 3 }), 'groups', /must divide inChannels = 4/);
    expectHyperError(() => conv2d({ ...ok, outChannels: 5, groups: 2 }), 'groups', /must divide outChannels = 5/);
    expectHyperError(() => conv2d({ ...ok, kernelSize: [3] }), 'kernelSize', /\[h, w\]/);
    expectHyperError(() => conv2d({ ...ok, kernelSize: undefined } as never), 'kernelSize', /required/);
    expectHyperError(() => conv2d({ ...ok, stride: 0 }), 'stride');
    expectHyperError(() => conv2d({ ...ok, dilation: 1.5 }), 'dilation');
    expectHyperError(() => conv2d({ ...ok, padding: 'SAME' as never }), 'padding', /'valid', 'same'/);
    expectHyperError(() => conv2d({ ...ok, padding: -1 }), 'padding');
    expectHyperError(() => conv2d({ ...ok, kernel_size: 3 } as never), 'kernel_size', /kernelSize/);
    expectHyperError(() => conv2d({ ...ok, filters: 6 } as never), 'filters');
    expectHyperError(() => conv2d({ ...ok, seed: 1, kernelInitializer: initFrom([0]) }), 'seed');
  });

  it('taps its output and leaks nothing over many forward and backward passes', async () => {
    const layer = conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, stride: 2, dilation: 2, groups: 2, padding: 'same', activation: 'relu', seed: 1 });
    const x = tf.randomNormal([2, 9, 9, 2], 0, 1, 'float32', 1);
    await expectNoLeaks(
      () => {
        for (let i = 0; i < 20; i++) {
          const { value, grads } = valueAndGrad<typeof layer.params>(() => tf.sum(layer.apply(x)))(layer.params);
          tf.dispose([value, grads.kernel, grads.bias]);
        }
      },
      { what: '20 forward and backward passes' },
    );
    x.dispose();
    layer.dispose();
  });
});
