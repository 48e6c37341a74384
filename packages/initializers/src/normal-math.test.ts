import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile } from './normal-math.js';

// Φ from mpmath (40 digits, `ncdf`) and Φ⁻¹ from Python's statistics.NormalDist().inv_cdf (Wichura's AS241).
const CDF: [number, number][] = [
  [-10, 7.619853024160525e-24],
  [-5, 2.866515718791939e-7],
  [-2, 0.02275013194817921],
  [-0.5, 0.3085375387259869],
  [0, 0.5],
  [1, 0.8413447460685429],
  [2, 0.9772498680518208],
  [3, 0.9986501019683699],
];
const QUANTILE: [number, number][] = [
  [1e-20, -9.262340089798405],
  [1e-10, -6.361340902404056],
  [0.001, -3.090232306167813],
  [0.3, -0.5244005127080407],
  [0.5, 0],
  [0.8, 0.8416212335729144],
  [0.999, 3.090232306167813],
];

describe('normal CDF and quantile (float64)', () => {
  it('Φ matches 40-digit values, relatively, in both tails', () => {
    for (const [x, p] of CDF) expect(Math.abs(normalCdf(x) - p), `Φ(${x})`).toBeLessThanOrEqual(1e-13 * p);
  });
  it('Φ⁻¹ matches AS241 to 1e-12 and inverts Φ', () => {
    for (const [p, x] of QUANTILE) expect(Math.abs(normalQuantile(p) - x), `Φ⁻¹(${p})`).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(x)));
    for (const x of [-8, -3.3, -1, 0.25, 1.7, 2.5]) expect(normalQuantile(normalCdf(x))).toBeCloseTo(x, 9);
  });
});
