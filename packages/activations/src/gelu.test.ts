import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { gelu } from './gelu.js';
import { activationSuite, expectHyperError } from './test-support.js';

/**
 * erf in float64, independent of the implementation under test: the Maclaurin series
 * 2/√π Σ (−1)ⁿ x^{2n+1}/(n!(2n+1)) for |x| < 2.5 (cancellation costs under 1e-14), and for
 * |x| ≥ 2.5, 1 − erfc with erfc(x) = e^{−x²}/(√π·(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …))))),
 * the continued fraction evaluated backwards from 200 terms.
 */
function erf64(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return (Math.sign(x) * 2 * sum) / Math.sqrt(Math.PI);
  }
  return Math.sign(x) * (1 - erfcLarge(a));
}

/** erfc(a) for a ≥ 2.5 from the continued fraction (full relative precision, no cancellation). */
function erfcLarge(a: number): number {
  let t = a;
  for (let n = 200; n >= 1; n--) t = a + n / 2 / t;
  return Math.exp(-a * a) / (Math.sqrt(Math.PI) * t);
}

// Reference: aten `GeluKernel` / `GeluBackward` (aten/src/ATen/native/cuda/ActivationGeluKernel.cu,
// the CPU kernel is the same formula): approximate = 'none':
//   y = x·½·(1 + erf(x·M_SQRT1_2)),  y′ = cdf + x·pdf, cdf = ½(1 + erf(x/√2)), pdf = exp(−x²/2)·M_2_SQRTPI·M_SQRT1_2·½
// approximate = 'tanh' (kBeta = M_SQRT2·M_2_SQRTPI·½, kKappa = 0.044715, inner = kBeta(x + kKappa·x³)):
//   y = ½x(1 + tanh(inner)),  y′ = ½(1 + tanh(inner)) + ½x·(1 − tanh²(inner))·kBeta(1 + 3·kKappa·x²)
const M_2_SQRTPI = 2 / Math.sqrt(Math.PI);
const exact = {
  f: (x: number) => x * 0.5 * (1 + erf64(x * Math.SQRT1_2)),
  df: (x: number) => 0.5 * (1 + erf64(x * Math.SQRT1_2)) + x * (Math.exp(-0.5 * x * x) * M_2_SQRTPI * Math.SQRT1_2 * 0.5),
};
const K_BETA = Math.SQRT2 * M_2_SQRTPI * 0.5;
const K_KAPPA = 0.044715;
const tanhApprox = {
  f: (x: number) => 0.5 * x * (1 + Math.tanh(K_BETA * (x + K_KAPPA * x * x * x))),
  df: (x: number) => {
    const t = Math.tanh(K_BETA * (x + K_KAPPA * x * x * x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K_BETA * (1 + 3 * K_KAPPA * x * x);
  },
};

describe('gelu (torch.nn.functional.gelu)', () => {
  it('the float64 erf of the reference is right (Python math.erf values)', () => {
    const known: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3.5, 0.9999992569016276],
      [5, 0.9999999999984626],
      [-0.7, -0.6778011938374184],
    ];
    for (const [x, e] of known) expect(Math.abs(erf64(x) - e)).toBeLessThan(1e-15);
    // erfc(3) = 2.2090496998585438e-05, erfc(5) = 1.5374597944280351e-12 (Python math.erfc).
    expect(Math.abs(erfcLarge(3) / 2.2090496998585438e-5 - 1)).toBeLessThan(1e-14);
    expect(Math.abs(erfcLarge(5) / 1.5374597944280351e-12 - 1)).toBeLessThan(1e-14);
  });

  describe("approximate: 'none' (x·Φ(x))", () => {
    activationSuite((x) => gelu(x), exact, {
      // mpmath (40 digits): the exact function and derivative in the tails.
      tail: [
        [-9.0, -1.0157295653584566e-18, -9.138937373906639e-18],
        [-6.0, -5.9195258702261885e-9, -3.5468709453902015e-8],
        [-3.0, -0.0040496940948902835, -0.011945647204183927],
      ],
      torch: [
        [-50.0, -0.0, 0.0],
        [-5.0, -1.4332578593401202e-6, -7.1469460018034646e-6],
        [-2.5, -0.015524163314440398, -0.03761108590814519],
        [-0.5, -0.15426876936299344, 0.13250487534383712],
        [0.0, 0.0, 0.5],
        [0.75, 0.5800294857173489, 0.9992257217392352],
        [3.25, 3.24812466861223, 1.0060173811438335],
        [50.0, 50.0, 1.0],
      ],
    });
  });

  describe("approximate: 'tanh'", () => {
    activationSuite((x) => gelu(x, { approximate: 'tanh' }), tanhApprox, {
      // mpmath (40 digits): the exact function and derivative in the tails.
      tail: [
        [-9.0, -1.3364595947346586e-28, -2.515735285067425e-27],
        [-6.0, -8.439646700762297e-11, -7.709973930953696e-10],
        [-3.0, -0.003637392081773019, -0.011584166630969726],
      ],
      torch: [
        [-50.0, -0.0, 0.0],
        [-5.0, -2.2917961972623857e-7, -1.5463619879596227e-6],
        [-2.5, -0.015084266089998577, -0.03795157621266618],
        [-0.5, -0.15428599017485606, 0.13263009646535764],
        [0.0, 0.0, 0.5],
        [0.75, 0.5799605551656203, 0.9989382561374143],
        [3.25, 3.2484313728552525, 1.0055643456441443],
        [50.0, 50.0, 1.0],
      ],
    });
  });

  it('rejects an unknown approximate with a HyperParameterError', () => {
    const x = tf.tensor1d([1]);
    expectHyperError(() => gelu(x, { approximate: 'erf' as never }), 'approximate', /'none' or 'tanh'/);
    x.dispose();
  });
});
