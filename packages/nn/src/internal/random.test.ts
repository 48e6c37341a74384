import { HyperParameterError } from '@gradkit/core';
import { describe, expect, it } from 'vitest';
import { checkSeed, Random } from './random.js';

describe('Random (xoshiro128** on the host)', () => {
  it('matches the reference C implementation (Blackman & Vigna, xoshiro128starstar.c) from state {1, 2, 3, 4}', () => {
    // Printed by the reference C code (prng.di.unimi.it/xoshiro128starstar.c) compiled with gcc, s = {1, 2, 3, 4}.
    const r = Random.fromState(1, 2, 3, 4);
    const first = Array.from({ length: 8 }, () => r.nextUint32());
    expect(first).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
    for (let i = 8; i < 999; i++) r.nextUint32();
    expect(r.nextUint32()).toBe(3170714187);
  });

  it('is deterministic per seed, differs between seeds, and gives uniforms in [0, 1) with mean ≈ ½', () => {
    const a = Random.fromSeed(42);
    const b = Random.fromSeed(42);
    const c = Random.fromSeed(43);
    const xs = Array.from({ length: 20_000 }, () => a.uniform());
    expect(Array.from({ length: 20_000 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs.slice(0, 5));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01); // σ of the mean ≈ 0.002
    // seeds beyond 32 bits use their high bits too
    expect(Random.fromSeed(2 ** 32 + 5).nextUint32()).not.toBe(Random.fromSeed(5).nextUint32());
  });

  it('below(n) stays in [0, n) and hits every value', () => {
    const r = Random.fromSeed(7);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 5000; i++) counts[r.below(5)]++;
    for (const k of counts) expect(k).toBeGreaterThan(800);
  });

  it('checkSeed accepts safe integers, rejects others naming the field, and draws one when absent', () => {
    expect(checkSeed(-3)).toBe(-3);
    expect(Number.isInteger(checkSeed(undefined))).toBe(true);
    for (const bad of [1.5, Number.NaN, '1', 2 ** 60]) {
      try {
        checkSeed(bad);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(HyperParameterError);
        expect((e as HyperParameterError).field).toBe('seed');
      }
    }
  });
});
