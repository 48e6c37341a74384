import { HyperParameterError, Optimizer } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { accumulate } from './accumulate.js';
import { sgd } from './sgd.js';

describe('accumulate (optax.MultiSteps)', () => {
  it('runs the inner optimizer every k mini-steps on the mean gradient', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 1])) };
    const opt = new Optimizer(params, accumulate(3, sgd({ learningRate: 0.1, momentum: 0.5 })));
    const seen: number[][] = [];
    for (const g of [
      [1, 0],
      [2, 0],
      [3, 3],
      [0, 6],
      [0, 0],
      [3, 0],
    ]) {
      const grads = { w: tf.tensor1d(g) };
      opt.step(grads);
      grads.w.dispose();
      seen.push(Array.from(await params.w.data()));
    }
    // steps 1–2: nothing; step 3: mean [2, 1], b = [2, 1], θ = [0.8, 0.9];
    // steps 4–5: nothing; step 6: mean [1, 2], b = 0.5·[2, 1] + [1, 2] = [2, 2.5], θ = [0.6, 0.65]
    await expectClose(seen, [
      [1, 1],
      [1, 1],
      [0.8, 0.9],
      [0.8, 0.9],
      [0.8, 0.9],
      [0.6, 0.65],
    ]);
    opt.dispose();
    params.w.dispose();
  });

  it('rejects k that is not an integer ≥ 1', () => {
    for (const k of [0, 1.5, -2, Number.NaN]) expect(() => accumulate(k, sgd({ learningRate: 0.1 }))).toThrow(HyperParameterError);
    expect(() => accumulate(0, sgd({ learningRate: 0.1 }))).toThrow(/k \(mini-steps per step\) must be an integer ≥ 1, got 0/);
  });

  it('round-trips its state and leaks nothing over 200 steps', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const g = { w: tf.tensor1d([0.1, -0.2]) };
    await expectNoLeaks(async () => {
      const opt = new Optimizer(params, accumulate(4, sgd({ learningRate: 0.1, momentum: 0.9 })));
      for (let i = 0; i < 201; i++) opt.step(g);
      const saved = JSON.parse(JSON.stringify(await opt.saveState()));
      const again = new Optimizer(params, accumulate(4, sgd({ learningRate: 0.1, momentum: 0.9 })));
      again.loadState(saved);
      expect(await again.saveState()).toEqual(saved);
      again.dispose();
      opt.dispose();
    });
    tf.dispose([params.w, g.w]);
  });
});
