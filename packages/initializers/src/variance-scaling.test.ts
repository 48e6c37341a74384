import { describe, expect, it } from 'vitest';
import { expectHyperError, expectOneTensor, expectWithin, LAYOUTS, statsOf } from './test-support.js';
import { TRUNCATED_NORMAL_STDDEV, varianceScaling } from './variance-scaling.js';

// Keras VarianceScaling / jax.nn.initializers.variance_scaling: Var = scale/n, n by mode;
// truncated normal σ = √(scale/n)/0.87962566103423978, cut at ±2σ.
describe('varianceScaling (Keras / JAX variance_scaling)', () => {
  for (const { what, shape, fanIn, fanOut } of LAYOUTS) {
    for (const distribution of ['truncatedNormal', 'normal', 'uniform'] as const) {
      it(`${what}, ${distribution}: Var = scale/fan for fanIn, fanOut and fanAvg within 5 %`, async () => {
        const fans = { fanIn, fanOut, fanAvg: (fanIn + fanOut) / 2 };
        for (const mode of ['fanIn', 'fanOut', 'fanAvg'] as const) {
          const s = await statsOf(varianceScaling({ scale: 2, mode, distribution, seed: 1 })(shape));
          expectWithin(s.meanSquare, 2 / fans[mode], 0.05, `${mode} variance`);
          const sigma = Math.sqrt(2 / fans[mode]);
          if (distribution === 'uniform') expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(Math.fround(Math.sqrt(3) * sigma));
          if (distribution === 'truncatedNormal') expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(Math.fround((2 * sigma) / TRUNCATED_NORMAL_STDDEV));
        }
      });
    }
  }

  it('0.87962566103423978 is the standard deviation of N(0, 1) truncated to [−2, 2]', () => {
    // √(1 − 2·2φ(2)/(Φ(2) − Φ(−2))), Φ(2) − Φ(−2) = 0.9544997361036416 (mpmath).
    const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
    expect(Math.sqrt(1 - (4 * phi2) / 0.9544997361036416)).toBeCloseTo(TRUNCATED_NORMAL_STDDEV, 12);
  });

  it('rejects scale ≤ 0, unknown mode and distribution (listing the valid ones), rank 1; leaks nothing', async () => {
    expectHyperError(() => varianceScaling({ scale: 0 }), 'scale');
    expectHyperError(() => varianceScaling({ mode: 'fanMax' as never }), 'mode', /valid: 'fanIn', 'fanOut', 'fanAvg'/);
    expectHyperError(() => varianceScaling({ distribution: 'cauchy' as never }), 'distribution', /valid: 'truncatedNormal', 'normal', 'uniform'/);
    expectHyperError(() => varianceScaling({ seed: 1 })([9]), 'shape');
    await expectOneTensor(varianceScaling({ seed: 0 }), [6, 5]);
  });
});
