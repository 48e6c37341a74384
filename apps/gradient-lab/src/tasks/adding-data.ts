// The adding problem (Hochreiter & Schmidhuber 1997, experiment 4; in the form of Le et al. 2015,
// "A simple way to initialize recurrent networks of rectified linear units", §4.1): sequences of
// (value, marker) pairs whose target is the sum of the two marked values, made on the host from a
// seeded generator so every backend trains on the same numbers.
import { HyperParameterError, Xoshiro128 } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The mean squared error of the best constant predictor (always 1, the mean of the target): the target
 * is the sum of two independent U(0, 1) values, whose variance is 2 · 1/12 = 1/6 ≈ 0.167. A model
 * whose loss stays here has learnt nothing about the markers.
 */
export const MEAN_PREDICTOR_MSE = 1 / 6;

/** The error below which a prediction of the sum counts as solved (the criterion of the issue: |error| < 0.04). */
export const SOLVED_ERROR = 0.04;

/** One batch of the adding problem, on the host. */
export interface AddingBatch {
  /** Sequences in the batch. */
  readonly batch: number;
  /** Time steps per sequence (T). */
  readonly length: number;
  /** `[batch, length, 2]` row-major: feature 0 a value in [0, 1), feature 1 the marker (0 or 1). */
  readonly x: Float32Array;
  /** `[batch]`: the sum of the two marked values. */
  readonly y: Float32Array;
  /** The two marked steps of each sequence: the first in [0, ⌊T/2⌋), the second in [⌊T/2⌋, T). */
  readonly markers: readonly (readonly [number, number])[];
}

/**
 * A batch of the adding problem: every step holds a value drawn from U(0, 1) and a marker; exactly
 * two steps are marked, one in each half of the sequence, and the target is the sum of their values.
 * Draws from `rng` in a fixed order (each sequence's values, then its two markers), so a seed gives
 * the same data on every backend.
 *
 * @throws HyperParameterError naming `batch` or `length` when it is not a whole number (batch ≥ 1, length ≥ 2).
 * @example
 * ```ts
 * const b = addingBatch(Xoshiro128.fromSeed(1), 32, 100); // b.y[i] = b.x[(i·100 + m₀)·2] + b.x[(i·100 + m₁)·2]
 * ```
 */
export function addingBatch(rng: Xoshiro128, batch: number, length: number): AddingBatch {
  if (!Number.isSafeInteger(batch) || batch < 1) throw new HyperParameterError('batch', `addingBatch: batch must be a whole number ≥ 1, got ${String(batch)}`);
  if (!Number.isSafeInteger(length) || length < 2)
    throw new HyperParameterError('length', `addingBatch: length must be a whole number ≥ 2 (one marker in each half), got ${String(length)}`);
  const x = new Float32Array(batch * length * 2);
  const y = new Float32Array(batch);
  const half = Math.floor(length / 2);
  const markers: (readonly [number, number])[] = [];
  for (let b = 0; b < batch; b++) {
    const row = b * length * 2;
    for (let t = 0; t < length; t++) x[row + 2 * t] = rng.nextDouble();
    const first = rng.below(half);
    const second = half + rng.below(length - half);
    x[row + 2 * first + 1] = 1;
    x[row + 2 * second + 1] = 1;
    // The target from the float32 values the network sees.
    y[b] = (x[row + 2 * first] as number) + (x[row + 2 * second] as number);
    markers.push([first, second]);
  }
  return { batch, length, x, y, markers };
}

/** The batch as tensors: inputs `[batch, length, 2]` and targets `[batch, 1]` (the caller disposes them). */
export function addingTensors(b: AddingBatch): { x: tf.Tensor3D; y: tf.Tensor2D } {
  return { x: tf.tensor3d(b.x, [b.batch, b.length, 2]), y: tf.tensor2d(b.y, [b.batch, 1]) };
}

/** A generator of training batches and a fixed held-out set, from one seed (streams 0 and 1 of `Xoshiro128.fromSeed`). */
export function addingStreams(seed: number): { train: Xoshiro128; heldOut: Xoshiro128 } {
  return { train: Xoshiro128.fromSeed(seed, 0), heldOut: Xoshiro128.fromSeed(seed, 1) };
}
