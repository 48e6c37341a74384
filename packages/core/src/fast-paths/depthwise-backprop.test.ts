// The depthwise conv gradients (depthwise-backprop.ts) against float64 sums worked in
// conv-reference.ts: channel multipliers 1 and 2, strides, dilations, SAME/VALID/explicit pads. They
// run on the active backend (gradkit's kernels on wasm, which has none, and cpu; tfjs's on webgpu)
// and through tf.depthwiseConv2d's gradients with fast paths on and off (wasm's stay: it lacks them).
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { convGrads, type Geometry, taps } from './conv-reference.js';
import { values } from './matmul-reference.js';
import { fastPaths, setFastPaths } from './registry.js';

afterEach(() => setFastPaths(true));

interface Case extends Geometry {
  readonly ci: number;
  readonly mult: number;
}
const cases: Case[] = [
  { b: 2, h: 5, w: 5, ci: 3, mult: 1, kh: 3, kw: 3, stride: [1, 1], dilation: [1, 1], pad: 'valid' },
  { b: 1, h: 7, w: 6, ci: 2, mult: 2, kh: 3, kw: 3, stride: [1, 1], dilation: [1, 1], pad: 'same' },
  { b: 2, h: 9, w: 8, ci: 3, mult: 3, kh: 2, kw: 3, stride: [2, 2], dilation: [1, 1], pad: 'same' },
  { b: 1, h: 10, w: 9, ci: 2, mult: 1, kh: 3, kw: 3, stride: [1, 1], dilation: [2, 2], pad: 'valid' },
  {
    b: 2,
    h: 6,
    w: 7,
    ci: 4,
    mult: 2,
    kh: 3,
    kw: 2,
    stride: [2, 1],
    dilation: [1, 1],
    pad: [
      [1, 0],
      [2, 1],
    ],
  },
];
const label = (k: Case) =>
  `x [${k.b},${k.h},${k.w},${k.ci}] ×${k.mult}, ${k.kh}×${k.kw}, stride ${k.stride}, dilation ${k.dilation}, pad ${JSON.stringify(k.pad)}`;
const tolerance = { rtol: 1e-4, atol: 1e-5 };

function data(k: Case) {
  const co = k.ci * k.mult;
  const x = values(k.b * k.h * k.w * k.ci, 3);
  const w = values(k.kh * k.kw * co, 9);
  const { outH, outW } = taps(k);
  const dy = values(k.b * outH * outW * co, 13);
  const attrs: tf.NamedAttrMap = {
    strides: [...k.stride],
    dilations: [...k.dilation],
    pad: typeof k.pad === 'string' ? k.pad : [[0, 0], [...k.pad[0]], [...k.pad[1]], [0, 0]],
    filterShape: [k.kh, k.kw, k.ci, k.mult],
    inputShape: [k.b, k.h, k.w, k.ci],
  };
  return { x, w, dy, dyShape: [k.b, outH, outW, co], attrs, ...convGrads(k, k.ci, co, x, w, dy, true) };
}

describe('the depthwise conv gradient kernels', () => {
  it.each(cases)('on the active backend: %#', async (k) => {
    if ((k.dilation[0] > 1 || k.dilation[1] > 1) && currentBackend() === 'webgpu') return; // tfjs's gradients never pass dilations
    const { x, w, dy, dyShape, attrs, dW, dx } = data(k);
    const [gw, gx] = await expectNoLeaks(() =>
      tf.tidy(() => {
        const dyt = tf.tensor(dy, dyShape);
        return [
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.tensor4d(x, [k.b, k.h, k.w, k.ci]), dy: dyt }, attrs) as tf.Tensor,
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dyt, filter: tf.tensor4d(w, [k.kh, k.kw, k.ci, k.mult]) }, attrs) as tf.Tensor,
        ] as const;
      }),
    );
    expect([gw.shape, gx.shape]).toEqual([
      [k.kh, k.kw, k.ci, k.mult],
      [k.b, k.h, k.w, k.ci],
    ]);
    await expectClose(Array.from(await gw.data()), Array.from(dW), { ...tolerance, what: `filter: ${label(k)}` });
    await expectClose(Array.from(await gx.data()), Array.from(dx), { ...tolerance, what: `input: ${label(k)}` });
    tf.dispose([gw, gx]);
  });

  it('give tf.depthwiseConv2d its gradients, fast paths on and off', async () => {
    const k = cases[2] as Case;
    const { x, w, dy, dyShape, dW, dx } = data(k);
    for (const on of [true, false]) {
      setFastPaths(on);
      const [gx, gw] = await expectNoLeaks(() =>
        tf.tidy(() => {
          const f = (xt: tf.Tensor, wt: tf.Tensor) =>
            tf.sum(tf.mul(tf.depthwiseConv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, [...k.stride], 'same'), tf.tensor(dy, dyShape)));
          return tf.grads(f)([tf.tensor4d(x, [k.b, k.h, k.w, k.ci]), tf.tensor4d(w, [k.kh, k.kw, k.ci, k.mult])]) as [tf.Tensor, tf.Tensor];
        }),
      );
      await expectClose(Array.from(await gw.data()), Array.from(dW), { ...tolerance, what: `filter, fast paths ${on}` });
      await expectClose(Array.from(await gx.data()), Array.from(dx), { ...tolerance, what: `input, fast paths ${on}` });
      tf.dispose([gx, gw]);
    }
  });

  it('are listed as kernels wasm lacks and as cpu fast paths', () => {
    const listed = fastPaths()
      .filter((p) => p.kernelName.startsWith('DepthwiseConv2dNativeBackprop'))
      .map((p) => `${p.backend} ${p.kernelName} ${p.kind}`)
      .sort();
    expect(listed).toEqual([
      'cpu DepthwiseConv2dNativeBackpropFilter fast',
      'cpu DepthwiseConv2dNativeBackpropInput fast',
      'wasm DepthwiseConv2dNativeBackpropFilter missing',
      'wasm DepthwiseConv2dNativeBackpropInput missing',
    ]);
  });
});
