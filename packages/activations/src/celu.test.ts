import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { celu } from './celu.js';
import { activationSuite, expectHyperError } from './test-support.js';

// Reference: torch.nn.functional.celu = aten `elu(x, alpha, scale=1, input_scale=1/alpha)`:
// x > 0 ? x : α·expm1(x/α); backward (is_result = false): x <= 0 ? (1/α)·α·exp(x/α) : 1.
const ref = (alpha: number) => ({
  f: (x: number) => (x > 0 ? x : alpha * Math.expm1(x / alpha)),
  df: (x: number) => (x <= 0 ? (1 / alpha) * alpha * Math.exp(x / alpha) : 1),
  kinks: [0],
});

describe('celu (torch.nn.functional.celu)', () => {
  describe('default α = 1', () => {
    activationSuite((x) => celu(x), ref(1), {
      torch: [
        [-50.0, -1.0, 1.9287498479639178e-22],
        [-0.5, -0.3934693402873666, 0.6065306597126334],
        [0.0, 0.0, 1.0],
      ],
    });
  });
  describe('α = 2', () => {
    activationSuite((x) => celu(x, 2), ref(2), {
      // mpmath (40 digits): the exact function and derivative in the tails.
      tail: [
        [-50.0, -1.9999999999722242, 1.3887943864964021e-11],
        [-20.0, -1.999909200140475, 4.5399929762484854e-5],
        [-0.0010000000474974513, -0.0009997500891351673, 0.9995001249554324],
      ],
      torch: [
        [-50.0, -1.9999999999722242, 1.3887943864964021e-11],
        [-2.5, -1.4269904062796197, 0.2865047968601901],
        [-0.5, -0.44239843385719024, 0.7788007830714049],
        [0.0, 0.0, 1.0],
        [3.25, 3.25, 1.0],
      ],
    });
  });
  it('rejects α = 0 and a non-finite α', () => {
    const x = tf.tensor1d([1]);
    expectHyperError(() => celu(x, 0), 'alpha', /not be 0/);
    expectHyperError(() => celu(x, Number.POSITIVE_INFINITY), 'alpha');
    x.dispose();
  });
});
