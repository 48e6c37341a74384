// After tfjs's backend changes under a live optimizer, its steps return to the fused kernels once the
// data has moved (it used to stay on the reference path for good).
import { Optimizer, useBackend } from '@gradkit/core';
import { currentBackend, expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { sgd } from './index.js';

describe('fused steps after a backend switch', () => {
  it('the first step moves the data (reference path), the next ones are fused again', async () => {
    const home = currentBackend();
    const away = home === 'cpu' ? 'wasm' : 'cpu';
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, sgd({ learningRate: 0.5, momentum: 0.9 }));
    opt.step({ w: tf.tensor1d([1, 1]) });
    expect(opt.lastStepPath).toBe('fused:GradkitSgd');
    await useBackend(away);
    try {
      await opt.moveToActiveBackend();
      const g = { w: tf.tensor1d([1, 1]) };
      opt.step(g);
      expect(opt.lastStepPath).toBe('fused:GradkitSgd');
      // momentum buffer b: 1, then 0.9 + 1 = 1.9; w = [1, 2] − 0.5·1 − 0.5·1.9
      await expectClose(params.w, [1 - 0.5 - 0.95, 2 - 0.5 - 0.95]);
      g.w.dispose();
    } finally {
      await useBackend(home);
    }
    opt.dispose();
    params.w.dispose();
  });
});
