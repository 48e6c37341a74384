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
  const sums = names.map(() => 0);
  let samples = 0;
  const loader = batches({ x: data.x, y: data.y }, { batchSize: Math.min(batchSize, data.x.shape[0] as number), shuffle: false });
  for (const batch of loader) {
    let values: tf.Tensor;
    try {
      values = tf.tidy(() => {
        const p = model.apply(batch.x);
        const l = tf.reshape(tf.cast(scalarLoss(loss(p, batch.y)), 'float32'), [1]);
        return metrics.length > 0 ? tf.concat([l, metricVector(metrics, p, batch.y)]) : l;
      });
    } finally {
      tf.dispose(batch);
    }
    const n = batch.x.shape[0] as number;
    const data = await values.data();
    values.dispose();
    data.forEach((v, i) => {
      sums[i] = (sums[i] as number) + v * n;
    });
    samples += n;
  }
  return Object.fromEntries(names.map((name, i) => [name, (sums[i] as number) / samples]));
}
