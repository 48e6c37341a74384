import { describe, expect, it } from 'vitest';
import { normal } from './normal.js';
import { expectHyperError, expectOneTensor, expectShapeErrors, expectWithin, LAYOUTS, statsOf, valuesOf } from './test-support.js';

describe('normal (torch.nn.init.normal_)', () => {
  it('gives exactly the numbers of the reference generator on every backend (seed 42, first call)', async () => {
    // Box–Muller on xoshiro128** doubles, from the reference C code (gcc, glibc libm), rounded to float32.
    expect(await valuesOf(normal({ seed: 42 })([3, 2]))).toEqual(
      [1.03304601, 0.0258647837, -0.578862727, -1.32854831, -0.162714988, -1.87751687].map(Math.fround),
    );
  });

  for (const { what, shape } of LAYOUTS) {
    it(`${what}: mean and standard deviation within 5 %`, async () => {
      const s = await statsOf(normal({ mean: 1, stddev: 0.5, seed: 11 })(shape));
      expectWithin(s.mean, 1, 0.05, 'mean');
      expectWithin(s.variance, 0.25, 0.05, 'variance');
    });
  }

  it('defaults to N(0, 1) as PyTorch', async () => {
    const s = await statsOf(normal({ seed: 2 })([200, 200]));
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expectWithin(s.variance, 1, 0.05, 'variance');
  });

  it('is deterministic per seed, and successive calls differ', async () => {
    const a = normal({ seed: 5 });
    const first = await valuesOf(a([40]));
    expect(await valuesOf(a([40]))).not.toEqual(first);
    expect(await valuesOf(normal({ seed: 5 })([40]))).toEqual(first);
  });

  it('rejects stddev ≤ 0, a non-finite mean, bad shapes; leaks nothing', async () => {
    expectHyperError(() => normal({ stddev: 0 }), 'stddev', /\(0, ∞\)/);
    expectHyperError(() => normal({ stddev: -1 }), 'stddev');
    expectHyperError(() => normal({ mean: Number.NaN }), 'mean');
    expectShapeErrors(normal({ seed: 0 }));
    await expectOneTensor(normal({ seed: 0 }), [7, 3]);
  });
});
