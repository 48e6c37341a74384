import { describe, expect, it } from 'vitest';
import { expectHyperError, expectOneTensor, expectShapeErrors, expectWithin, LAYOUTS, statsOf, valuesOf } from './test-support.js';
import { truncatedNormal } from './truncated-normal.js';

/** The standard normal density, for the textbook moments of truncated normals. */
const phi = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);

describe('truncatedNormal (torch.nn.init.trunc_normal_)', () => {
  for (const { what, shape } of LAYOUTS) {
    it(`${what}: inside mean ± 2σ, with the truncated normal's mean and variance (0.7737σ²) within 5 %`, async () => {
      const mean = 0.5;
      const stddev = 2;
      const s = await statsOf(truncatedNormal({ mean, stddev, seed: 4 })(shape));
      expect(s.min).toBeGreaterThanOrEqual(mean - 2 * stddev);
      expect(s.max).toBeLessThanOrEqual(mean + 2 * stddev);
      // Var of N(0,1) truncated to [−2, 2]: 1 − 2·2φ(2)/(Φ(2) − Φ(−2)) = 0.77374 (Φ(2) − Φ(−2) = 0.9544997361036416).
      const ratio = 1 - (4 * phi(2)) / 0.9544997361036416;
      expectWithin(ratio, 0.7737413, 1e-6, 'the textbook ratio');
      expectWithin(s.variance, ratio * stddev * stddev, 0.05, 'variance');
      expect(Math.abs(s.mean - mean)).toBeLessThan(0.02 * stddev);
    });
  }

  it('absolute cut-offs as PyTorch: [0, 3] has mean (φ(0) − φ(3))/(Φ(3) − Φ(0)) = 0.79123', async () => {
    const s = await statsOf(truncatedNormal({ min: 0, max: 3, seed: 8 })([100, 100]));
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThanOrEqual(3);
    expectWithin(s.mean, (phi(0) - phi(3)) / (0.9986501019683699 - 0.5), 0.02, 'mean');
  });

  it('samples far tails without losing precision: [5σ, 6σ] and [−11σ, −10σ]', async () => {
    const upper = await statsOf(truncatedNormal({ min: 5, max: 6, seed: 1 })([4000]));
    expect(upper.min).toBeGreaterThanOrEqual(5);
    expect(upper.max).toBeLessThanOrEqual(6);
    // E[X | 5 ≤ X ≤ 6] ≈ (φ(5) − φ(6))/(Φ(6) − Φ(5)) = 5.1865.
    expectWithin(upper.mean, (phi(5) - phi(6)) / (2.866515718791939e-7 - 9.865876450377e-10), 0.01, 'upper tail mean');
    const lower = await statsOf(truncatedNormal({ min: -11, max: -10, seed: 1 })([4000]));
    expect(lower.min).toBeGreaterThanOrEqual(-11);
    expect(lower.max).toBeLessThanOrEqual(-10);
    expect(Number.isFinite(lower.mean)).toBe(true);
  });

  it('gives the inverse-CDF numbers of the reference generator on every backend (seed 42)', async () => {
    expect(await valuesOf(truncatedNormal({ seed: 42 })([4]))).toEqual(PINNED);
  });

  it('rejects stddev ≤ 0 and min ≥ max; leaks nothing', async () => {
    expectHyperError(() => truncatedNormal({ stddev: 0 }), 'stddev');
    expectHyperError(() => truncatedNormal({ min: 1, max: -1 }), 'min', /less than max/);
    expectShapeErrors(truncatedNormal({ seed: 0 }));
    await expectOneTensor(truncatedNormal({ seed: 0 }), [5, 5]);
  });
});

// Independent: Python's statistics.NormalDist (AS241 inverse, erf-based cdf) applied to the reference
// generator's first four doubles u (C code): Φ⁻¹(Φ(−2) + u·(Φ(2) − Φ(−2))), rounded to float32.
const PINNED = [-0.2079647034406662, -1.9340603351593018, 0.36717256903648376, 0.4571060240268707];
