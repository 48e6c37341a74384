import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Conv1dOptions, conv1d } from './conv1d.js';
import { expectMatchesTorch, initFrom, torchReference } from './internal/conv-fixture.js';
import { expectHyperError } from './test-support.js';

// Reference: packages/nn/fixtures/conv.py (PyTorch 1.13, float64) → conv.json. PyTorch's weight
// [out, in/groups, k] maps to gradkit's kernel by permute(2, 1, 0); inputs [batch, time, c] ↔
// [batch, c, time] by permute(0, 2, 1); 'same' is F.pad with TF's split before F.conv1d.
describe('conv1d against PyTorch (F.conv1d)', () => {
  for (const c of torchReference.conv1d)
    it(`${c.name}: output and dL/dx, dL/dkernel, dL/dbias`, async () => {
      const layer = conv1d({ ...(c.options as unknown as Conv1dOptions), kernelInitializer: initFrom(c.kernel), biasInitializer: initFrom(c.bias) });
      await expectMatchesTorch(layer, c, { kernel: c.dkernel, bias: c.dbias }, c.name);
      layer.dispose();
    });
});

describe('conv1d', () => {
  it('computes a hand-worked difference filter over time, kernel [k, in, out]', async () => {
    // y[t] = x[t + 2] − x[t] (kernel [−1, 0, 1], one channel) over 1, 4, 9, 16, 25: 8, 12, 16.
    const layer = conv1d({ inChannels: 1, outChannels: 1, kernelSize: 3, useBias: false, kernelInitializer: initFrom([-1, 0, 1]) });
    expect(layer.params.kernel.shape).toEqual([3, 1, 1]);
    const x = tf.tensor3d([1, 4, 9, 16, 25], [1, 5, 1]);
    const y = layer.apply(x);
    await expectClose(y, [[[8], [12], [16]]]);
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('rejects images, wrong channels and too-short sequences, naming x; bad options naming them', () => {
    const layer = conv1d({ inChannels: 2, outChannels: 3, kernelSize: 4, seed: 1 });
    for (const [shape, message] of [
      [[1, 5, 5, 2], /expected input \[batch, time, 2\]/],
      [[1, 5, 3], /\[batch, time, 2\]/],
      [[1, 3, 2], /length \(axis 1\) \(3\) is smaller than the kernel \(4\)/],
    ] as [number[], RegExp][]) {
      const x = tf.zeros(shape);
      expect(() => layer.apply(x)).toThrow(message);
      x.dispose();
    }
    layer.dispose();
    expectHyperError(() => conv1d({ inChannels: 2, outChannels: 3, kernelSize: [3, 3] as never }), 'kernelSize');
    expectHyperError(() => conv1d({ inChannels: 2, outChannels: 3, kernelSize: 3, groups: 2 }), 'groups', /outChannels = 3/);
    expectHyperError(() => conv1d({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: [1, 1] }), 'padding');
  });
});
