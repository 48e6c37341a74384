// hostStep: the host numbers of a schedule-free state (count, lrMax, weightSum) after one step, as the
// fused path advances them, must equal what the reference update writes.
import type { GradientTransformation, StateTree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { scheduleFreeAdamW, scheduleFreeSgd } from './index.js';

const numbers = (s: StateTree) => {
  const { count, lrMax, weightSum } = s as { count: number; lrMax: number; weightSum: number };
  return { count, lrMax, weightSum };
};

describe('schedule-free hostStep', () => {
  const cases: [string, GradientTransformation][] = [
    ['scheduleFreeAdamW with warmup, r = 1, a schedule', scheduleFreeAdamW({ learningRate: (t) => 0.01 / (1 + t), warmupSteps: 3, r: 1 })],
    ['scheduleFreeSgd with warmup and weightLrPower 1', scheduleFreeSgd({ learningRate: 0.5, warmupSteps: 2, weightLrPower: 1 })],
  ];
  for (const [name, tx] of cases) {
    it(`${name}: advances count, lrMax and weightSum exactly as update does`, () => {
      const params = { w: tf.tensor1d([1, -2]) };
      const grads = { w: tf.tensor1d([0.5, 0.25]) };
      let state = tx.init(params);
      for (let k = 0; k < 6; k++) {
        const expected = tx.hostStep?.(state) as StateTree;
        const next = tf.tidy(() => tx.update(grads, state, params).state as tf.TensorContainer) as StateTree;
        expect(numbers(expected)).toEqual(numbers(next));
        expect(numbers(next).weightSum).toBeGreaterThan(0);
        tf.dispose(state as tf.TensorContainer);
        state = next;
      }
      tf.dispose([params.w, grads.w, state as tf.TensorContainer]);
    });
  }
});
