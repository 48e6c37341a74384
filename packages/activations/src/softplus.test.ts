import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
import { softplus } from './softplus.js';
import { activationSuite, expectHyperError } from './test-support.js';

// Reference: aten `softplus_kernel`: (x·β) > threshold ? x : log1p(exp(x·β))/β;
// `softplus_backward_kernel`: z = exp(x·β), (x·β) > threshold ? grad : grad·z/(z + 1).
const ref = (beta: number, threshold: number) => ({
  f: (x: number) => (x * beta > threshold ? x : Math.log1p(Math.exp(x * beta)) / beta),
  df: (x: number) => {
    const z = Math.exp(x * beta);
    return x * beta > threshold ? 1 : z / (z + 1);
  },
  kinks: [threshold / beta],
});

describe('softplus (torch.nn.functional.softplus)', () => {
  describe('defaults β = 1, threshold = 20 (grid has 19.5, 20, 20.5 around the threshold)', () => {
    activationSuite((x) => softplus(x), ref(1, 20), {
      // mpmath (40 digits): the exact function and derivative in the tails.
      tail: [
        [-50.0, 1.9287498479639178e-22, 1.9287498479639178e-22],
        [-20.0, 2.061153620314381e-9, 2.0611536181902037e-9],
        [-10.0, 4.539889921686465e-5, 4.5397868702434395e-5],
      ],
      torch: [
        [-50.0, 1.9287498479639178e-22, 1.9287498479639178e-22],
        [-20.0, 2.061153620314381e-9, 2.0611536181902033e-9],
        [-2.5, 0.07888973429254963, 0.07585818002124356],
        [0.0, Math.LN2, 0.5],
        [3.25, 3.288041371687783, 0.9626731126558705],
        [20.0, 20.000000002061153, 0.9999999979388464],
        [20.5, 20.5, 1.0],
      ],
    });
  });
  describe('β = 2 (threshold at x = 10)', () => {
    activationSuite((x) => softplus(x, { beta: 2 }), ref(2, 20), {
      extra: [9.75, 10.25],
      torch: [
        [-2.5, 0.003357674244559034, 0.006692850924284856],
        [0.0, 0.34657359027997264, 0.5],
        [0.75, 0.8507066389913762, 0.8175744761936437],
        [10.0, 10.000000001030577, 0.9999999979388464],
        [10.25, 10.25, 1.0],
      ],
    });
  });
  describe('β = 2, threshold = 5 (identity above x = 2.5)', () => {
    activationSuite((x) => softplus(x, { beta: 2, threshold: 5 }), ref(2, 5), {
      extra: [2.25, 2.75],
      torch: [
        [-0.5, 0.15663084375911143, 0.2689414213699951],
        [2.5, 2.503357674244559, 0.9933071490757152],
        [2.75, 2.75, 1.0],
      ],
    });
  });
  describe('threshold = 1e6 (the log branch at x = 1e4 must not overflow)', () => {
    activationSuite((x) => softplus(x, { threshold: 1e6 }), {
      f: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
      df: (x) => 1 / (1 + Math.exp(-x)),
    });
  });
  it('rejects β ≤ 0 and non-finite options', () => {
    const x = tf.tensor1d([1]);
    expectHyperError(() => softplus(x, { beta: 0 }), 'beta', /\(0, ∞\)/);
    expectHyperError(() => softplus(x, { beta: -1 }), 'beta');
    expectHyperError(() => softplus(x, { threshold: Number.NaN }), 'threshold');
    x.dispose();
  });
});
