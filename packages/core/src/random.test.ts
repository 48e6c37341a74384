import { describe, expect, it } from 'vitest';
import { HyperParameterError } from './errors.js';
import { randomSeed, resolveSeed, Xoshiro128 } from './random.js';

/** Matches the HyperParameterError a bad argument gets: its `field`, and a message matching `says`. */
const hyperError = (field: string, says: RegExp = /./) => expect.objectContaining({ code: 'BAD_HYPERPARAMETER', field, message: expect.stringMatching(says) });

// Expected numbers come from Vigna's reference C code (xoshiro128starstar.c, splitmix64.c) compiled with
// gcc, and were checked again (with those of nextFloat32, below and shuffle, which come from it alone) by an
// independent Python 3 transcription of the same reference C code (Python integers, masked to 32/64 bits;
// u = (x >> 8)/2^24, below(n) = floor(x·n/2^32), Fisher–Yates from the last index down) run by hand:
// never by printing what this implementation returns.
describe('Xoshiro128 (xoshiro128** seeded by splitmix64)', () => {
  it('matches the reference C implementation from the state [1, 2, 3, 4]', () => {
    const rng = new Xoshiro128([1, 2, 3, 4]);
    expect(Array.from({ length: 8 }, () => rng.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
    for (let i = 8; i < 999; i++) rng.nextUint32();
    expect(rng.nextUint32()).toBe(3170714187); // the 1000th output
  });

  it('replaces the all-zero state (a fixed point) by [1, 0, 0, 0]', () => {
    const zero = new Xoshiro128([0, 0, 0, 0]);
    const one = new Xoshiro128([1, 0, 0, 0]);
    expect(Array.from({ length: 4 }, () => zero.nextUint32())).toEqual(Array.from({ length: 4 }, () => one.nextUint32()));
  });

  it('seeds the state from splitmix64(seed) as the C code does (seed 42)', () => {
    const rng = Xoshiro128.fromSeed(42);
    expect(Array.from({ length: 8 }, () => rng.nextUint32())).toEqual([
      1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222, 2940343271, 2244566231,
    ]);
  });

  it('53-bit doubles, float32 uniforms and Box–Muller normals match the C reference (gcc, glibc libm)', () => {
    expect(Array.from(Xoshiro128.fromSeed(42).uniformArray(6, 0, 1))).toEqual(
      [0.413701653, 0.00398399355, 0.650083721, 0.684602022, 0.830647469, 0.736241221].map(Math.fround),
    );
    expect(Array.from(Xoshiro128.fromSeed(42, 1).uniformArray(3))).toEqual([0.0364297554, 0.7544958, 0.969431281].map(Math.fround));
    expect(Array.from(Xoshiro128.fromSeed(-7).uniformArray(3, 0, 1))).toEqual([0.645092607, 0.16564092, 0.611986935].map(Math.fround));
    expect(Array.from(Xoshiro128.fromSeed(42).standardNormals(6)).map(Math.fround)).toEqual(
      [1.03304601, 0.0258647837, -0.578862727, -1.32854831, -0.162714988, -1.87751687].map(Math.fround),
    );
  });

  it('nextFloat32 gives (x >> 8)·2⁻²⁴, exact in float32, as the Python reference (seeds 42 and 2⁴⁰ + 3, stream 5)', () => {
    const a = Xoshiro128.fromSeed(42);
    const fa = Array.from({ length: 4 }, () => a.nextFloat32());
    expect(fa).toEqual([0.4137016534805298, 0.9697872400283813, 0.003983974456787109, 0.5395373106002808]);
    expect(fa[0]).toBe(6940762 / 2 ** 24); // 1776835114 >> 8, by hand
    for (const u of fa) expect(Math.fround(u)).toBe(u);
    const b = Xoshiro128.fromSeed(2 ** 40 + 3, 5);
    expect(Array.from({ length: 3 }, () => b.nextFloat32())).toEqual([0.7369877099990845, 0.07494699954986572, 0.441540002822876]);
  });

  it('below(n) and shuffle match the Python reference (seeds 7 and 1)', () => {
    const r = Xoshiro128.fromSeed(7);
    expect(Array.from({ length: 8 }, () => r.below(10))).toEqual([4, 3, 6, 8, 4, 2, 7, 0]);
    const items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const shuffled = Xoshiro128.fromSeed(1).shuffle(items);
    expect(shuffled).toBe(items); // in place
    expect(shuffled).toEqual([0, 8, 5, 9, 4, 6, 7, 1, 2, 3]);
    const typed = Xoshiro128.fromSeed(1).shuffle(Int32Array.from({ length: 10 }, (_, i) => i));
    expect(Array.from(typed)).toEqual([0, 8, 5, 9, 4, 6, 7, 1, 2, 3]);
    expect(Xoshiro128.fromSeed(1).shuffle([])).toEqual([]);
    expect(Xoshiro128.fromSeed(1).shuffle(['a'])).toEqual(['a']);
  });

  it('is deterministic per seed and stream, differs between seeds, streams and the high bits of a seed', () => {
    const draw = (rng: Xoshiro128) => Array.from({ length: 5 }, () => rng.nextUint32());
    const a = draw(Xoshiro128.fromSeed(42));
    expect(draw(Xoshiro128.fromSeed(42))).toEqual(a);
    expect(draw(Xoshiro128.fromSeed(42, 0))).toEqual(a);
    expect(draw(Xoshiro128.fromSeed(43))).not.toEqual(a);
    expect(draw(Xoshiro128.fromSeed(42, 1))).not.toEqual(a);
    expect(Xoshiro128.fromSeed(2 ** 32 + 5).nextUint32()).not.toBe(Xoshiro128.fromSeed(5).nextUint32());
  });

  it('gives uniform doubles and float32 uniforms in [0, 1), integers below n and standard normals with the right moments', () => {
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
    const fs = Array.from({ length: 20_000 }, () => rng.nextFloat32());
    expect(Math.min(...fs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...fs)).toBeLessThan(1);
    expect(Math.abs(fs.reduce((s, x) => s + x, 0) / fs.length - 0.5)).toBeLessThan(0.01); // σ of the mean ≈ 0.002
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 5000; i++) counts[rng.below(5)]++;
    for (const k of counts) expect(k).toBeGreaterThan(800);
    expect(rng.below(1)).toBe(0);
    const z = Xoshiro128.fromSeed(9).standardNormals(n + 1); // odd length: the last pair is cut
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it('rejects bad seeds, streams and bounds, naming the argument', () => {
    for (const bad of [1.5, Number.NaN, 2 ** 60, '1']) expect(() => Xoshiro128.fromSeed(bad as number)).toThrow(hyperError('seed', /integer/));
    for (const bad of [-1, 0.5, Number.NaN]) expect(() => Xoshiro128.fromSeed(1, bad)).toThrow(hyperError('stream', /non-negative integer/));
    const rng = Xoshiro128.fromSeed(1);
    for (const bad of [0, -3, 2.5, Number.NaN, 2 ** 32 + 1]) expect(() => rng.below(bad)).toThrow(hyperError('n'));
  });
});

describe('seeds', () => {
  it('resolves seeds: integers pass, others are rejected naming seed, none draws a random one', () => {
    expect(resolveSeed(5, 'f')).toBe(5);
    expect(resolveSeed(-3)).toBe(-3);
    expect(() => resolveSeed(1.5, 'f')).toThrow(HyperParameterError);
    expect(() => resolveSeed(1.5, 'f')).toThrow(hyperError('seed', /^f: seed must be an integer/));
    expect(() => resolveSeed(Number.NaN, 'f')).toThrow(hyperError('seed'));
    expect(() => resolveSeed(2 ** 60, 'f')).toThrow(hyperError('seed'));
    expect(() => resolveSeed('1')).toThrow(hyperError('seed', /^seed must be an integer/));
    expect(Number.isSafeInteger(resolveSeed(undefined))).toBe(true);
    const seeds = new Set(Array.from({ length: 20 }, () => randomSeed()));
    expect(seeds.size).toBe(20);
    for (const s of seeds) expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
  });
});
