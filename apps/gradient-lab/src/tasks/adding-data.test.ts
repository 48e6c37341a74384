// The adding problem's data: exactly one marker in each half, the target the sum of the marked values,
// and the mean predictor's error worked by hand (Var(U₁ + U₂) = 2 · 1/12 = 1/6).
import { HyperParameterError, Xoshiro128 } from '@gradkit/core';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MEAN_PREDICTOR_SOLVED } from './adding.js';
import { addingBatch, addingStreams, addingTensors, MEAN_PREDICTOR_MSE, SOLVED_ERROR } from './adding-data.js';

describe('addingBatch', () => {
  it('marks exactly two steps, one in each half, and the target is the sum of their values', () => {
    for (const length of [2, 3, 7, 50]) {
      const b = addingBatch(Xoshiro128.fromSeed(3), 16, length);
      const half = Math.floor(length / 2);
      for (let i = 0; i < b.batch; i++) {
        const marked: number[] = [];
        for (let t = 0; t < length; t++) {
          const value = b.x[(i * length + t) * 2] as number;
          const marker = b.x[(i * length + t) * 2 + 1] as number;
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThan(1);
          expect([0, 1]).toContain(marker);
          if (marker === 1) marked.push(t);
        }
        expect(marked).toHaveLength(2);
        expect(marked[0]).toBeLessThan(half);
        expect(marked[1]).toBeGreaterThanOrEqual(half);
        expect(b.markers[i]).toEqual(marked);
        const sum = Math.fround((b.x[(i * length + (marked[0] as number)) * 2] as number) + (b.x[(i * length + (marked[1] as number)) * 2] as number));
        expect(b.y[i]).toBe(sum);
      }
    }
  });

  it('is the same for the same seed and differs for another', () => {
    const a = addingBatch(Xoshiro128.fromSeed(1), 4, 10);
    const b = addingBatch(Xoshiro128.fromSeed(1), 4, 10);
    const c = addingBatch(Xoshiro128.fromSeed(2), 4, 10);
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
    expect(Array.from(c.x)).not.toEqual(Array.from(a.x));
    // The held-out stream is not the training stream.
    const { train, heldOut } = addingStreams(1);
    expect(Array.from(addingBatch(heldOut, 4, 10).x)).not.toEqual(Array.from(addingBatch(train, 4, 10).x));
  });

  it('puts the marker anywhere in its half: over many sequences every step of each half is marked', () => {
    const length = 8;
    const b = addingBatch(Xoshiro128.fromSeed(5), 2000, length);
    const seen = new Set(b.markers.flat());
    expect([...seen].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('gives the mean predictor (always 1) an MSE of 1/6 and 7.84% of sequences within 0.04, as worked by hand', () => {
    // By hand: the target S = U₁ + U₂ with U ~ U(0, 1) independent has mean 1 and variance 2 · 1/12 = 1/6, so
    // E[(S − 1)²] = 1/6. S − 1 has the triangular density 1 − |s| on [−1, 1], so P(|S − 1| < e) = 1 − (1 − e)²
    // = 0.0784 at e = 0.04. Over n = 20000 samples the standard error of the MSE is √(Var((S−1)²)/n) with
    // Var((S−1)²) = E[(S−1)⁴] − (1/6)² = 1/15 − 1/36 = 7/180, i.e. 0.0014; of the fraction √(0.0784·0.9216/n) = 0.0019.
    expect(MEAN_PREDICTOR_MSE).toBeCloseTo(0.16667, 5);
    expect(MEAN_PREDICTOR_SOLVED).toBeCloseTo(0.0784, 6);
    const n = 20_000;
    const b = addingBatch(Xoshiro128.fromSeed(11), n, 4);
    let sq = 0;
    let within = 0;
    for (const y of b.y) {
      sq += (y - 1) ** 2;
      if (Math.abs(y - 1) < SOLVED_ERROR) within++;
    }
    expect(Math.abs(sq / n - 1 / 6)).toBeLessThan(4 * 0.0014);
    expect(Math.abs(within / n - 0.0784)).toBeLessThan(4 * 0.0019);
  });

  it('rejects a batch or a length it cannot make, naming it', () => {
    for (const [batch, length, field] of [
      [0, 10, 'batch'],
      [2.5, 10, 'batch'],
      [Number.NaN, 10, 'batch'],
      [4, 1, 'length'],
      [4, 10.5, 'length'],
    ] as const) {
      const rng = Xoshiro128.fromSeed(1);
      expect(() => addingBatch(rng, batch, length)).toThrow(HyperParameterError);
      try {
        addingBatch(rng, batch, length);
      } catch (e) {
        expect((e as HyperParameterError).field).toBe(field);
      }
    }
  });
});

describe('addingTensors', () => {
  it('uploads [batch, T, 2] inputs and [batch, 1] targets with the host values, leaking nothing', async () => {
    const b = addingBatch(Xoshiro128.fromSeed(2), 3, 5);
    await expectNoLeaks(async () => {
      const { x, y } = addingTensors(b);
      expect(x.shape).toEqual([3, 5, 2]);
      expect(y.shape).toEqual([3, 1]);
      expect(Array.from(await x.data())).toEqual(Array.from(b.x));
      expect(Array.from(await y.data())).toEqual(Array.from(b.y));
      tf.dispose([x, y]);
    });
  });
});
