import { Optimizer } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { fitLine, functionalStep, saveAndResume } from './getting-started.js';

/** A readback per step and shaders compiled on the CPU make these slow on SwiftShader when the machine is busy. */
const SLOW = 120_000;

describe('guide: getting started', () => {
  it(
    'fits the line: w → (2, −3), b → 1, and the loss falls',
    async () => {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const { losses, w, b } = await fitLine(25); // a readback per step, slow on SwiftShader: keep it short
      log.mockRestore();
      expect(losses).toHaveLength(25); // SGD at 0.1 on E[xxᵀ] = I shrinks the error ×0.8 per step
      expect(losses.at(-1)).toBeLessThan(1e-3 * (losses[0] as number));
      await expectClose(w, [2, -3], { atol: 0.05 });
      await expectClose(b, [1], { atol: 0.05 });
    },
    SLOW,
  );

  it('functional step: clip to norm 1, then Adam’s first step moves every parameter by −η·sign(g)', async () => {
    // Reference (hand-worked): at t = 1, m̂ = g and v̂ = g², so Adam's update is −η·g/(|g| + ε) ≈ −η·sign(g),
    // whatever the clipping scaled g by. From w = b = 0 with y = x·[2, −3] + 1: g_b = −2·mean(y) < 0.
    const x = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const y = tf.tensor2d([[3], [-2], [0]]);
    const params = { w: tf.zeros([2, 1]), b: tf.zeros([1]) };
    await expectNoLeaks(() => tf.dispose(Object.values(functionalStep(params, x, y))));
    const next = functionalStep(params, x, y);
    // g_w = −2/3·xᵀy = −2/3·[3, −2] → signs (−, +); g_b = −2/3·Σy = −2/3 → sign −.
    await expectClose(next.w, [[1e-2], [-1e-2]], { rtol: 1e-5 });
    await expectClose(next.b, [1e-2], { rtol: 1e-5 });
    tf.dispose([x, y, params.w, params.b, next.w, next.b]);
  });

  it('save → JSON → load continues exactly', async () => {
    const make = () => ({ w: tf.variable(tf.tensor2d([[0.5], [-1]])), b: tf.variable(tf.tensor1d([0.25])) });
    const loss = (p: { w: tf.Variable; b: tf.Variable }) => tf.sum(tf.add(tf.square(p.w), tf.square(p.b)));
    const a = make();
    const straight = new Optimizer(a, sgd({ learningRate: 0.1 }));
    for (let i = 0; i < 4; i++) await straight.minimize(loss);
    const c = make();
    const first = new Optimizer(c, sgd({ learningRate: 0.1 }));
    for (let i = 0; i < 2; i++) await first.minimize(loss);
    const resumed = await saveAndResume(c, first);
    for (let i = 0; i < 2; i++) await resumed.minimize(loss);
    expect(resumed.stepCount).toBe(4);
    expect(Array.from(await c.w.data())).toEqual(Array.from(await a.w.data()));
    expect(Array.from(await c.b.data())).toEqual(Array.from(await a.b.data()));
    for (const o of [straight, first, resumed]) o.dispose();
    tf.dispose([a.w, a.b, c.w, c.b]);
  });
});
