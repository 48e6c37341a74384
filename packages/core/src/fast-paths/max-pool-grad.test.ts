// MaxPoolGrad (max-pool-grad.ts) against a reference worked here from tfjs-cpu's rule: each dy goes
// to the first element of its window (row-major) strictly greater than the running maximum, which
// starts at −∞. Distinct values, many ties, −∞ and NaN, strides, overlapping windows, SAME/VALID
// pads; on the active backend (gradkit's fast path on cpu and wasm; tfjs's on webgpu, where the
// tie cases are not run) and through tf.maxPool's gradient with fast paths on and off.
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Geometry, taps } from './conv-reference.js';
import { values } from './matmul-reference.js';
import { setFastPaths } from './registry.js';

afterEach(() => setFastPaths(true));

/** dx of a max pool (float64 sums), x NHWC with `ch` channels. */
function reference(g: Geometry, ch: number, x: Float32Array, dy: Float32Array): number[] {
  const { outH, outW, list } = taps(g);
  const dx = new Array<number>(x.length).fill(0);
  const best = new Map<number, [number, number]>(); // output cell → [max, position]
  for (const [b, oy, ox, iy, ix] of list)
    for (let c = 0; c < ch; c++) {
      const cell = ((b * outH + oy) * outW + ox) * ch + c;
      const at = ((b * g.h + iy) * g.w + ix) * ch + c;
      const v = x[at] as number;
      if (v > (best.get(cell)?.[0] ?? Number.NEGATIVE_INFINITY)) best.set(cell, [v, at]);
    }
  for (const [cell, [, at]] of best) dx[at] = (dx[at] as number) + (dy[cell] as number);
  return dx;
}

type Case = { g: Geometry & { pad: 'valid' | 'same' }; ch: number; x: 'distinct' | 'ties' | 'special' };
const geo = (b: number, h: number, w: number, k: number, s: number, pad: 'valid' | 'same'): Geometry & { pad: 'valid' | 'same' } => ({
  b,
  h,
  w,
  kh: k,
  kw: k,
  stride: [s, s],
  dilation: [1, 1],
  pad,
});
const cases: Case[] = [
  { g: geo(2, 6, 6, 2, 2, 'valid'), ch: 3, x: 'distinct' },
  { g: geo(1, 7, 5, 3, 2, 'same'), ch: 2, x: 'distinct' },
  { g: geo(2, 5, 6, 3, 1, 'valid'), ch: 4, x: 'distinct' },
  { g: geo(1, 9, 9, 2, 2, 'same'), ch: 1, x: 'distinct' },
  { g: geo(2, 6, 5, 3, 1, 'same'), ch: 3, x: 'ties' },
  { g: geo(1, 4, 4, 2, 1, 'valid'), ch: 2, x: 'special' },
];

function input(k: Case): Float32Array {
  const x = values(k.g.b * k.g.h * k.g.w * k.ch, 29);
  if (k.x === 'ties') return x.map((v) => Math.round(v * 2));
  if (k.x === 'special')
    x.forEach((_, i) => {
      if (i % 5 === 0) x[i] = Number.NEGATIVE_INFINITY;
      if (i % 7 === 0) x[i] = Number.NaN;
    });
  return x;
}

describe('MaxPoolGrad', () => {
  it.each(cases)('on the active backend: $x, %#', async (k) => {
    if (k.x !== 'distinct' && currentBackend() === 'webgpu') return; // tfjs-webgpu's own rule for ties and NaN
    const x = input(k);
    const { outH, outW } = taps(k.g);
    const dy = values(k.g.b * outH * outW * k.ch, 31);
    const attrs = { filterSize: [k.g.kh, k.g.kw], strides: [...k.g.stride], pad: k.g.pad };
    const got = await expectNoLeaks(() =>
      tf.tidy(() => {
        const xt = tf.tensor4d(x, [k.g.b, k.g.h, k.g.w, k.ch]);
        const output = tf.maxPool(xt, [k.g.kh, k.g.kw], [...k.g.stride] as [number, number], k.g.pad);
        expect(output.shape).toEqual([k.g.b, outH, outW, k.ch]);
        return tf.engine().runKernel('MaxPoolGrad', { dy: tf.tensor4d(dy, output.shape), input: xt, output }, attrs) as tf.Tensor;
      }),
    );
    await expectClose(Array.from(await got.data()), reference(k.g, k.ch, x, dy), { rtol: 1e-6, atol: 1e-6 });
    got.dispose();
  });

  it('gives tf.maxPool its gradient, fast paths on and off', async () => {
    const k = cases[1] as Case;
    const x = input(k);
    const { outH, outW } = taps(k.g);
    const dy = values(k.g.b * outH * outW * k.ch, 31);
    for (const on of [true, false]) {
      setFastPaths(on);
      const g = await expectNoLeaks(() =>
        tf.tidy(() =>
          tf.grad((xt) => tf.sum(tf.mul(tf.maxPool(xt as tf.Tensor4D, 3, 2, 'same'), tf.tensor4d(dy, [k.g.b, outH, outW, k.ch]))))(
            tf.tensor4d(x, [k.g.b, k.g.h, k.g.w, k.ch]),
          ),
        ),
      );
      await expectClose(Array.from(await g.data()), reference(k.g, k.ch, x, dy), { rtol: 1e-6, atol: 1e-6, what: `fast paths ${on}` });
      g.dispose();
    }
  });
});
