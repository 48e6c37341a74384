import { describe, expect, it } from 'vitest';
import { randomSeed, resolveSeed, standardNormals, uniformArray, Xoshiro128 } from './random.js';
import { expectHyperError } from './test-support.js';

// Expected numbers come from Vigna's reference C code (xoshiro128starstar.c, splitmix64.c) compiled
// with gcc: an implementation independent of this one.
describe('the host PRNG (xoshiro128** seeded by splitmix64)', () => {
  it('matches the reference C implementation from the state [1, 2, 3, 4]', () => {
    const rng = new Xoshiro128([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('seeds the state from splitmix64(seed) as the C code does (seed 42)', () => {
    const rng = Xoshiro128.fromSeed(42);
    expect(Array.from({ length: 8 }, () => rng.nextUint32())).toEqual([
      1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222, 2940343271, 2244566231,
    ]);
  });

  it('53-bit doubles, float32 uniforms and Box–Muller normals match the C reference (gcc, glibc libm)', () => {
    expect(Array.from(uniformArray(Xoshiro128.fromSeed(42), 6, 0, 1))).toEqual(
      [0.413701653, 0.00398399355, 0.650083721, 0.684602022, 0.830647469, 0.736241221].map(Math.fround),
    );
    expect(Array.from(uniformArray(Xoshiro128.fromSeed(42, 1), 3, 0, 1))).toEqual([0.0364297554, 0.7544958, 0.969431281].map(Math.fround));
    expect(Array.from(uniformArray(Xoshiro128.fromSeed(-7), 3, 0, 1))).toEqual([0.645092607, 0.16564092, 0.611986935].map(Math.fround));
    expect(Array.from(standardNormals(Xoshiro128.fromSeed(42), 6)).map(Math.fround)).toEqual(
      [1.03304601, 0.0258647837, -0.578862727, -1.32854831, -0.162714988, -1.87751687].map(Math.fround),
    );
  });

  it('gives uniform doubles in [0, 1) and standard normals with the right moments', () => {
    const rng = Xoshiro128.fromSeed(123);
    const n = 200_000;
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.nextDouble();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
    const z = standardNormals(Xoshiro128.fromSeed(9), n + 1); // odd length: the last pair is cut
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it('resolves seeds: integers pass, others are rejected, none draws a random one', () => {
    expect(resolveSeed(5, 'f')).toBe(5);
    expect(resolveSeed(-3, 'f')).toBe(-3);
    expectHyperError(() => resolveSeed(1.5, 'f'), 'seed', /integer/);
    expectHyperError(() => resolveSeed(Number.NaN, 'f'), 'seed');
    expectHyperError(() => resolveSeed(2 ** 60, 'f'), 'seed');
    const seeds = new Set(Array.from({ length: 20 }, () => randomSeed()));
    expect(seeds.size).toBe(20);
    for (const s of seeds) expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
  });
});
