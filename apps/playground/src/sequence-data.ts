// Synthetic data of the sequence tasks, drawn on the host from a seed (the same batches on every
// backend): the adding problem and reversing digit strings.
import type { Xoshiro128 } from '@gradkit/core';
import { DIGITS } from './config.js';

/** One batch of the adding problem: `x` is `[batch, T, 2]` (value, marker), `y` is `[batch]`. */
export interface AddingBatch {
  readonly x: Float32Array;
  readonly y: Float32Array;
}

/**
 * A batch of the adding problem (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015): at
 * each of T steps a value uniform in [0, 1) and a marker, 1 at one step of the first half and one of
 * the second half, 0 elsewhere; the target is the sum of the two marked values. Predicting the mean
 * (1) gives the MSE Var(u₁ + u₂) = 2/12 ≈ 0.167.
 */
export function addingBatch(rng: Xoshiro128, batch: number, length: number): AddingBatch {
  const x = new Float32Array(batch * length * 2);
  const y = new Float32Array(batch);
  const half = Math.floor(length / 2);
  for (let b = 0; b < batch; b++) {
    const first = Math.floor(rng.nextDouble() * half);
    const second = half + Math.floor(rng.nextDouble() * (length - half));
    for (let t = 0; t < length; t++) x[(b * length + t) * 2] = rng.nextDouble();
    for (const t of [first, second]) {
      x[(b * length + t) * 2 + 1] = 1;
      y[b] = (y[b] as number) + (x[(b * length + t) * 2] as number);
    }
  }
  return { x, y };
}

/** One batch of the reversal task: `x` and `y` are `[batch, L]` digit ids, `y` is `x` reversed. */
export interface ReverseBatch {
  readonly x: Int32Array;
  readonly y: Int32Array;
}

/** Random digit strings of `length` and their reversals (a synthetic task of the transformer literature). */
export function reverseBatch(rng: Xoshiro128, batch: number, length: number): ReverseBatch {
  const x = new Int32Array(batch * length);
  const y = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < length; t++) {
      const digit = rng.nextUint32() % DIGITS;
      x[b * length + t] = digit;
      y[b * length + length - 1 - t] = digit;
    }
  return { x, y };
}
