import { describe, expect, it } from 'vitest';
import { expectHyperError, expectOneTensor, expectShapeErrors, expectWithin, LAYOUTS, statsOf, valuesOf } from './test-support.js';
import { uniform } from './uniform.js';

describe('uniform (torch.nn.init.uniform_)', () => {
  it('gives exactly the numbers of the reference generator on every backend (seed 42, first call)', async () => {
    // xoshiro128** / splitmix64 reference C code (gcc): the first 53-bit doubles, rounded to float32.
    // The same array on cpu, wasm and webgpu proves the numbers never depend on the backend.
    expect(await valuesOf(uniform({ seed: 42 })([2, 3]))).toEqual(
      [0.413701653, 0.00398399355, 0.650083721, 0.684602022, 0.830647469, 0.736241221].map(Math.fround),
    );
    // Bounds map u ∈ [0, 1) affinely: min + (max − min)·u, in float64 then rounded.
    expect(await valuesOf(uniform({ seed: 42, min: -2, max: 2 })([2]))).toEqual(
      [-2 + 4 * 0.41370166815658871, -2 + 4 * 0.0039839933778147429].map(Math.fround),
    );
  });

  for (const { what, shape } of LAYOUTS) {
    it(`${what}: mean (min + max)/2 and variance (max − min)²/12 within 5 %, inside [min, max]`, async () => {
      const s = await statsOf(uniform({ min: -0.5, max: 1.5, seed: 3 })(shape));
      expectWithin(s.mean, 0.5, 0.05, 'mean');
      expectWithin(s.variance, 4 / 12, 0.05, 'variance');
      expect(s.min).toBeGreaterThanOrEqual(-0.5);
      expect(s.max).toBeLessThanOrEqual(1.5);
    });
  }

  it('defaults to U(0, 1) as PyTorch', async () => {
    const s = await statsOf(uniform({ seed: 1 })([100, 100]));
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThanOrEqual(1);
    expectWithin(s.mean, 0.5, 0.05, 'mean');
  });

  it('is deterministic per seed: a fresh factory repeats, a second call differs, another seed differs, no seed differs', async () => {
    const a = uniform({ seed: 7 });
    const first = await valuesOf(a([50]));
    const second = await valuesOf(a([50]));
    expect(await valuesOf(uniform({ seed: 7 })([50]))).toEqual(first);
    expect(second).not.toEqual(first);
    const again = uniform({ seed: 7 });
    await valuesOf(again([50]));
    expect(await valuesOf(again([50]))).toEqual(second);
    expect(await valuesOf(uniform({ seed: 8 })([50]))).not.toEqual(first);
    expect(await valuesOf(uniform()([50]))).not.toEqual(await valuesOf(uniform()([50])));
  });

  it('rejects min ≥ max, non-finite bounds, a non-integer seed, bad shapes and a non-float dtype', async () => {
    expectHyperError(() => uniform({ min: 1, max: 1 }), 'min', /less than max/);
    expectHyperError(() => uniform({ min: 2, max: 1 }), 'min');
    expectHyperError(() => uniform({ max: Number.POSITIVE_INFINITY }), 'max', /finite/);
    expectHyperError(() => uniform({ seed: 0.5 }), 'seed');
    expectShapeErrors(uniform({ seed: 0 }));
    expectHyperError(() => uniform({ seed: 0 })([2], 'int32'), 'dtype');
    await expectOneTensor(uniform({ seed: 0 }), [3, 4]);
  });
});
