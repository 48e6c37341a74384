import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { leakyRelu } from './leaky-relu.js';
import { activationSuite, expectHyperError } from './test-support.js';

// Reference: aten `leaky_relu` (x > 0 ? x : x * negval) and `leaky_relu_backward`
// (x > 0 ? grad : grad * negval): the slope at 0 is α.
const ref = (alpha: number) => ({ f: (x: number) => (x > 0 ? x : x * alpha), df: (x: number) => (x > 0 ? 1 : alpha), kinks: [0] });

describe('leakyRelu (torch.nn.functional.leaky_relu)', () => {
  describe('default α = 0.01', () => {
    activationSuite((x) => leakyRelu(x), ref(0.01), {
      torch: [
        [-50.0, -0.5, 0.01],
        [-0.5, -0.005, 0.01],
        [0.0, 0.0, 0.01],
        [3.25, 3.25, 1.0],
      ],
    });
  });
  describe('α = 0.2', () => {
    activationSuite((x) => leakyRelu(x, 0.2), ref(0.2), {
      torch: [
        [-50.0, -10.0, 0.2],
        [0.0, 0.0, 0.2],
        [0.75, 0.75, 1.0],
      ],
    });
  });
  it('rejects a non-finite α with a HyperParameterError naming alpha', () => {
    const x = tf.tensor1d([1]);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) expectHyperError(() => leakyRelu(x, bad), 'alpha', /finite/);
    x.dispose();
  });
});
