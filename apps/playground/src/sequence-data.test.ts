import { Xoshiro128 } from '@gradkit/core';
import { describe, expect, it } from 'vitest';
import { addingBatch, reverseBatch } from './sequence-data.js';

describe('addingBatch', () => {
  it('marks one step in each half and targets the sum of the two marked values', () => {
    const T = 11;
    const { x, y } = addingBatch(Xoshiro128.fromSeed(3), 200, T);
    for (let b = 0; b < 200; b++) {
      const marked: number[] = [];
      let sum = 0;
      for (let t = 0; t < T; t++) {
        const [value, marker] = [x[(b * T + t) * 2] as number, x[(b * T + t) * 2 + 1] as number];
        expect(value >= 0 && value < 1 && (marker === 0 || marker === 1)).toBe(true);
        if (marker === 1) {
          marked.push(t);
          sum += value;
        }
      }
      expect(marked.length).toBe(2);
      expect([(marked[0] as number) < 5, (marked[1] as number) >= 5]).toEqual([true, true]);
      expect(y[b]).toBeCloseTo(sum, 6);
    }
  });
  it('gives the mean predictor an MSE near Var(u₁ + u₂) = 1/6, and the same batch for the same seed', () => {
    const { y } = addingBatch(Xoshiro128.fromSeed(1), 20000, 50);
    let mse = 0;
    for (const v of y) mse += (v - 1) ** 2;
    expect(mse / y.length).toBeCloseTo(1 / 6, 2);
    expect(addingBatch(Xoshiro128.fromSeed(9), 4, 6)).toEqual(addingBatch(Xoshiro128.fromSeed(9), 4, 6));
  });
});

describe('reverseBatch', () => {
  it('targets each digit string reversed', () => {
    const { x, y } = reverseBatch(Xoshiro128.fromSeed(2), 50, 7);
    for (let b = 0; b < 50; b++) {
      const row = [...x.subarray(b * 7, b * 7 + 7)];
      expect(row.every((d) => Number.isInteger(d) && d >= 0 && d <= 9)).toBe(true);
      expect([...y.subarray(b * 7, b * 7 + 7)]).toEqual(row.reverse());
    }
  });
});
