import type { Module } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { batches } from '../batches.js';
import type { NamedMetric } from './metrics.js';
import type { FitData } from './options.js';
import { metricVector, scalarLoss } from './step.js';

/**
 * The loss and metrics of `model` (in its current mode) on `data`, in contiguous batches of
 * `batchSize`: sample-weighted means over the batches, Σ nᵦ·valueᵦ / Σ nᵦ (Keras's `evaluate`).
 */
export async function evaluate(
  model: Module,
  loss: (prediction: tf.Tensor, target: tf.Tensor) => tf.Scalar,
  metrics: readonly NamedMetric[],
  data: FitData,
  batchSize: number,
): Promise<Record<string, number>> {
  const names = ['loss', ...metrics.map((m) => m.name)];
  const perBatch: tf.Tensor[] = [];
  const sizes: number[] = [];
  const loader = batches({ x: data.x, y: data.y }, { batchSize: Math.min(batchSize, data.x.shape[0] as number), shuffle: false });
  try {
    for (const batch of loader) {
      try {
        perBatch.push(
          tf.tidy(() => {
            const p = model.apply(batch.x);
            const l = tf.reshape(tf.cast(scalarLoss(loss(p, batch.y)), 'float32'), [1]);
            return metrics.length > 0 ? tf.concat([l, metricVector(metrics, p, batch.y)]) : l;
          }),
        );
        sizes.push(batch.x.shape[0] as number);
      } finally {
        tf.dispose(batch);
      }
    }
    if (perBatch.length === 0) return Object.fromEntries(names.map((name) => [name, Number.NaN]));
    // One read for every batch's values (a readback waits for the device: once per evaluation, not per batch).
    const all = tf.concat(perBatch);
    const values = await all.data();
    all.dispose();
    const sums = names.map(() => 0);
    let samples = 0;
    sizes.forEach((n, b) => {
      for (let i = 0; i < names.length; i++) sums[i] = (sums[i] as number) + (values[b * names.length + i] as number) * n;
      samples += n;
    });
    return Object.fromEntries(names.map((name, i) => [name, (sums[i] as number) / samples]));
  } finally {
    tf.dispose(perBatch);
  }
}
