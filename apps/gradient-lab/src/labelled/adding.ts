// The adding problem (Hochreiter & Schmidhuber 1997): sequences of T pairs (value ∈ U(0, 1), marker);
// two markers, one in each half; the target is the sum of the two marked values. Predicting the mean
// (1) gives a mean squared error of 1/6 ≈ 0.167 (Var of a sum of two U(0, 1)); a net that cannot
// carry the first marked value through T steps stays there.
import * as tf from '@tensorflow/tfjs-core';
import { permutation } from './digits.js';

/** The loss of the mean predictor: Var(U₁ + U₂) = 2 · 1/12. */
export const ADDING_TRIVIAL_LOSS = 1 / 6;

/** `count` adding-problem sequences of length `length`, seeded: `x` `[count, length, 2]`, `y` `[count, 1]` (the caller disposes them). */
export function addingProblem(count: number, length: number, seed: number): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const values = permutation(count * length, seed).map((i) => (i + 0.5) / (count * length)); // U(0, 1), stratified
  const picks = permutation(count * 2 * length, seed + 1);
  const x = new Float32Array(count * length * 2);
  const y = new Float32Array(count);
  const half = Math.floor(length / 2);
  for (let n = 0; n < count; n++) {
    const a = (picks[2 * n] as number) % half;
    const b = half + ((picks[2 * n + 1] as number) % (length - half));
    for (let t = 0; t < length; t++) {
      const v = values[n * length + t] as number;
      x[(n * length + t) * 2] = v;
      if (t === a || t === b) {
        x[(n * length + t) * 2 + 1] = 1;
        y[n] = (y[n] as number) + v;
      }
    }
  }
  return { x: tf.tensor3d(x, [count, length, 2]), y: tf.tensor2d(y, [count, 1]) };
}
