// The data side of a probe fit: the seeded batch order (the same for every fit with the same data
// and settings, so that the baseline and every remedy see the same batches), the probe batch, and
// the loss over the data evaluated the same way before and after a fit.
import { Xoshiro128 } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import type { DoctorData } from './doctor-types.js';

/** Samples the loss before and after a fit is evaluated on: the first ones of the data, up to this many. */
export const EVAL_SAMPLES = 1024;
/** Samples of the probe batch (activations' dead/saturated fractions, ∂L/∂xₜ): the first ones of the data, up to this many. */
export const PROBE_SAMPLES = 64;
/** Samples per forward pass when evaluating. */
const EVAL_CHUNK = 256;

/**
 * The sample indices of each of `steps` batches of `batchSize` (≤ n): the data in a seeded random
 * order (a Fisher–Yates shuffle by core's Xoshiro128 from `seed`), epoch after epoch, each epoch
 * shuffled anew, cut into consecutive batches (a batch may span two epochs).
 */
export function batchOrder(n: number, batchSize: number, steps: number, seed: number): Int32Array[] {
  const rng = Xoshiro128.fromSeed(seed);
  const order: number[] = [];
  while (order.length < steps * batchSize) {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng.nextDouble() * (i + 1));
      [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
    }
    order.push(...perm);
  }
  return Array.from({ length: steps }, (_, s) => Int32Array.from(order.slice(s * batchSize, (s + 1) * batchSize)));
}

/** The samples at `indices` (new tensors, the caller's). */
export function gatherBatch(data: DoctorData, indices: Int32Array): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const at = tf.tensor1d(indices, 'int32');
    return { x: tf.gather(data.x, at), y: tf.gather(data.y, at) };
  });
}

/** The first `count` samples (at most all of them; new tensors, the caller's). */
export function headOf(data: DoctorData, count: number): { x: tf.Tensor; y: tf.Tensor } {
  const m = Math.min(count, data.x.shape[0] as number);
  return tf.tidy(() => ({ x: tf.slice(data.x, 0, m), y: tf.slice(data.y, 0, m) }));
}

/**
 * The loss of the best constant prediction over the first `EVAL_SAMPLES` samples: `loss(ȳ, y)` with
 * ȳ the mean of their targets (the label frequencies for one-hot labels), for the losses where the
 * mean is that prediction (`MEAN_PREDICTED_LOSSES` in stalled.ts).
 */
export async function constantLoss(loss: (prediction: tf.Tensor, y: tf.Tensor) => tf.Scalar, data: DoctorData): Promise<number> {
  const m = Math.min(EVAL_SAMPLES, data.x.shape[0] as number);
  const value = tf.tidy(() => {
    const y = tf.cast(tf.slice(data.y, 0, m), 'float32');
    return loss(tf.broadcastTo(tf.mean(y, 0, true), y.shape), y);
  });
  try {
    return (await value.data())[0] as number;
  } finally {
    value.dispose();
  }
}

/**
 * The mean loss over the first `EVAL_SAMPLES` samples: `loss(forward(x), y)` (a scalar mean over its
 * samples) over chunks of 256, weighted by their sizes. NaN or ±Infinity when the model gives it.
 */
export async function evalLoss(
  forward: (x: tf.Tensor) => tf.Tensor,
  loss: (prediction: tf.Tensor, y: tf.Tensor) => tf.Scalar,
  data: DoctorData,
): Promise<number> {
  const m = Math.min(EVAL_SAMPLES, data.x.shape[0] as number);
  const total = tf.tidy(() => {
    let sum: tf.Scalar = tf.scalar(0);
    for (let start = 0; start < m; start += EVAL_CHUNK) {
      const size = Math.min(EVAL_CHUNK, m - start);
      const value = loss(forward(tf.slice(data.x, start, size)), tf.slice(data.y, start, size));
      sum = tf.add(sum, tf.mul(value, size / m));
    }
    return sum;
  });
  try {
    return (await total.data())[0] as number;
  } finally {
    total.dispose();
  }
}
