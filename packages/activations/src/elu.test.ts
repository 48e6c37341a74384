import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { elu } from './elu.js';
import { activationSuite, expectHyperError } from './test-support.js';

// Reference: aten `elu_kernel` (scale 1, input_scale 1): x > 0 ? x : α·expm1(x), and
// `elu_backward_kernel` on the input (is_result = false): x <= 0 ? α·exp(x) : 1 — α at the kink.
const ref = (alpha: number) => ({ f: (x: number) => (x > 0 ? x : alpha * Math.expm1(x)), df: (x: number) => (x <= 0 ? alpha * Math.exp(x) : 1), kinks: [0] });

describe('elu (torch.nn.functional.elu)', () => {
  describe('default α = 1', () => {
    activationSuite((x) => elu(x), ref(1), {
      // mpmath (40 digits): the exact function and derivative in the tails.
      tail: [
        [-50.0, -1.0, 1.9287498479639178e-22],
        [-20.0, -0.9999999979388464, 2.061153622438558e-9],
        [-0.0010000000474974513, -0.000999500214074986, 0.999000499785925],
      ],
      torch: [
        [-50.0, -1.0, 1.9287498479639178e-22],
        [-2.5, -0.9179150013761013, 0.0820849986238988],
        [-0.5, -0.3934693402873666, 0.6065306597126334],
        [0.0, 0.0, 1.0],
        [3.25, 3.25, 1.0],
      ],
    });
  });
  describe('α = 0.5', () => {
    activationSuite((x) => elu(x, 0.5), ref(0.5), {
      torch: [
        [-50.0, -0.5, 9.643749239819589e-23],
        [-2.5, -0.45895750068805063, 0.0410424993119494],
        [0.0, 0.0, 0.5],
        [0.75, 0.75, 1.0],
      ],
    });
  });
  it('rejects a non-finite α', () => {
    const x = tf.tensor1d([1]);
    expectHyperError(() => elu(x, Number.NaN), 'alpha');
    x.dispose();
  });
});
