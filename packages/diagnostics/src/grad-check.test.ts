import { HyperParameterError, ValueError } from '@gradkit/core';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { gradCheck } from './index.js';

// Custom ops with hand-written gradients, as a user writing an op would: x³ with the right
// derivative 3x², and the same op with a wrong one (2x², a typical slip).
const cube = (dydx: (x: tf.Tensor) => tf.Tensor) =>
  tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return {
      value: tf.mul(tf.square(x), x),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.mul(dy as tf.Tensor, dydx(saved[0] as tf.Tensor)),
    };
  });
const rightCube = cube((x) => tf.mul(tf.square(x), 3));
const wrongCube = cube((x) => tf.mul(tf.square(x), 2));

const x = tf.tensor1d([0.5, -1.25, 2, 0.1]);
const w = tf.tensor2d([
  [0.3, -0.2],
  [0.1, 0.4],
  [-0.5, 0.25],
  [0.2, 0.1],
]);

describe('gradCheck', () => {
  it('passes a correct custom gradient', async () => {
    const r = await gradCheck((p: { x: tf.Tensor }) => tf.sum(rightCube(p.x) as tf.Tensor), { x });
    expect(r.passed).toBe(true);
    expect(r.leaves).toHaveLength(1);
    expect(r.leaves[0]).toMatchObject({ path: 'x', checked: 4, passed: true });
    expect(r.leaves[0]?.maxRelError).toBeLessThan(1e-2);
    expect(r).toMatchObject({ eps: 1e-3, rtol: 1e-2, atol: 1e-3 });
  });

  it('fails a wrong custom gradient, pointing at the worst element', async () => {
    const r = await gradCheck((p: { x: tf.Tensor }) => tf.sum(wrongCube(p.x) as tf.Tensor), { x });
    expect(r.passed).toBe(false);
    const leaf = r.leaves[0];
    expect(leaf?.passed).toBe(false);
    // autograd says 2x², the truth is 3x²: a relative error of 1/3, largest in absolute terms at x = 2
    expect(leaf?.maxRelError).toBeCloseTo(1 / 3, 2);
    expect(leaf?.worst?.index).toBe(2);
    expect(leaf?.worst?.autograd).toBeCloseTo(8, 4);
    expect(leaf?.worst?.numeric).toBeCloseTo(12, 1);
    expect(leaf?.maxAbsError).toBeCloseTo(4, 1);
  });

  it('checks every leaf of a tree (a small tanh layer) and only those elements it is asked to', async () => {
    const f = (p: { w: tf.Tensor; x: tf.Tensor }) => tf.sum(tf.tanh(tf.matMul(tf.reshape(p.x, [1, 4]), p.w)));
    const r = await gradCheck(f, { w, x });
    expect(r.passed).toBe(true);
    expect(r.leaves.map((l) => [l.path, l.checked])).toEqual([
      ['w', 8],
      ['x', 4],
    ]);
    const some = await gradCheck(f, { w, x }, { maxElementsPerLeaf: 3 });
    expect(some.leaves.map((l) => l.checked)).toEqual([3, 3]);
  });

  it('leaks nothing', async () => {
    await gradCheck((p: { x: tf.Tensor }) => tf.sum(rightCube(p.x) as tf.Tensor), { x });
    await expectNoLeaks(() => gradCheck((p: { x: tf.Tensor }) => tf.sum(wrongCube(p.x) as tf.Tensor), { x }));
  });

  it('rejects bad options and functions that do not return a scalar', async () => {
    for (const [opts, field] of [
      [{ eps: 0 }, 'eps'],
      [{ eps: 2 }, 'eps'],
      [{ rtol: -1 }, 'rtol'],
      [{ atol: Number.NaN }, 'atol'],
      [{ maxElementsPerLeaf: 0 }, 'maxElementsPerLeaf'],
    ] as const) {
      const e = await gradCheck((p: { x: tf.Tensor }) => tf.sum(p.x), { x }, opts).catch((err) => err);
      expect(e, field).toBeInstanceOf(HyperParameterError);
      expect((e as HyperParameterError).field).toBe(field);
    }
    await expect(gradCheck((p: { x: tf.Tensor }) => p.x, { x })).rejects.toThrow(ValueError);
  });

  afterAll(() => tf.dispose([x, w]));
});
