// Switching tfjs's backend under a live optimizer (issue 12): in Node, tfjs cannot move WebGPU data
// synchronously (it needs OffscreenCanvas), which used to surface as a raw ReferenceError.
import { currentBackend, expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../backend/use-backend.js';
import { BackendError } from '../errors.js';
import { heavyBall } from '../fixtures/heavy-ball.js';
import { Optimizer } from './optimizer.js';

describe('an optimizer whose parameters were made on another backend', () => {
  it('step: a BackendError saying what to call; minimize and moveToActiveBackend move the data and train on', async () => {
    const home = currentBackend();
    const away = home === 'cpu' ? 'wasm' : 'cpu';
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, heavyBall(0.5, 0));
    opt.step({ w: tf.tensor1d([1, 1]) }); // w = [0.5, 1.5]
    await useBackend(away);
    try {
      const g = { w: tf.tensor1d([1, 1]) };
      if (home === 'webgpu') {
        expect(() => opt.step(g)).toThrow(BackendError);
        expect(() => opt.step(g)).toThrow(/moveToActiveBackend/);
      }
      // w ← w − 0.5·2w = 0 would hide a wrong move; use the loss Σ(w − 1)², gradient 2(w − 1)
      await opt.minimize((p) => tf.sum(tf.square(tf.sub(p.w, 1)))); // w = [0.5 − 0.5·(−1), 1.5 − 0.5·1] = [1, 1]
      await expectClose(params.w, [1, 1]);
      opt.step(g); // the step works once the data has moved
      await expectClose(params.w, [0.5, 0.5]);
      g.w.dispose();
    } finally {
      await useBackend(home);
    }
    await opt.moveToActiveBackend();
    opt.step({ w: tf.tensor1d([1, 1]) });
    await expectClose(params.w, [0, 0]);
    opt.dispose();
    params.w.dispose();
  });
});
