import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { identity } from './identity.js';
import { expectHyperError, expectOneTensor, valuesOf } from './test-support.js';

describe('identity (torch.nn.init.eye_ / dirac_)', () => {
  it('dense: the (rectangular) identity matrix, scaled by gain', async () => {
    const [a, b] = [identity()([2, 3]), identity({ gain: 0.5 })([3, 2])];
    await expectClose(a, [
      [1, 0, 0],
      [0, 1, 0],
    ]);
    await expectClose(b, [
      [0.5, 0],
      [0, 0.5],
      [0, 0],
    ]);
    tf.dispose([a, b]);
  });

  it('conv [3, 3, 2, 2]: a Dirac delta at the kernel centre, so a same-padded conv is the identity', async () => {
    const w = identity()([3, 3, 2, 2]);
    const v = await w.data();
    const at = (h: number, x: number, i: number, o: number) => v[((h * 3 + x) * 2 + i) * 2 + o];
    expect([at(1, 1, 0, 0), at(1, 1, 1, 1), at(1, 1, 0, 1), at(0, 0, 0, 0)]).toEqual([1, 1, 0, 0]);
    expect(Array.from(v).reduce((a, b) => a + b, 0)).toBe(2);
    const x = tf.randomNormal([1, 5, 5, 2], 0, 1, 'float32', 1);
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
    await expectClose(y, x);
    tf.dispose([w, x, y]);
  });

  it('conv1d [4, 3, 2] (centre ⌊4/2⌋ = 2, as dirac_) and more outputs than inputs', async () => {
    const v = await valuesOf(identity()([4, 3, 2]));
    const ones = v.flatMap((e, i) => (e === 1 ? [i] : []));
    expect(ones).toEqual([(2 * 3 + 0) * 2 + 0, (2 * 3 + 1) * 2 + 1]);
  });

  it('int32; rejects rank < 2, gain ≤ 0, a fractional int32 gain; leaks nothing', async () => {
    const t = identity()([2, 2], 'int32');
    expect(t.dtype).toBe('int32');
    expect(await valuesOf(t)).toEqual([1, 0, 0, 1]);
    expectHyperError(() => identity()([4]), 'shape', /rank ≥ 2/);
    expectHyperError(() => identity()([]), 'shape', /rank 0/);
    expectHyperError(() => identity({ gain: 0 }), 'gain');
    expectHyperError(() => identity({ gain: 0.5 })([2, 2], 'int32'), 'gain');
    await expectOneTensor(identity(), [3, 3, 4, 4]);
  });
});
