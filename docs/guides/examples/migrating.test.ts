import { Xoshiro128 } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { fitLayersModel, trainWithAdapter, trainWithGradkit, trainWithTfTrain } from './migrating.js';

/** A readback per step and shaders compiled on the CPU make these slow on SwiftShader when the machine is busy. */
const SLOW = 120_000;

// Reference: tfjs's own tf.train.adam, from the same start on the same batch. Small inputs keep the
// gradient's global norm below 1, so the adapter's clipByGlobalNorm(1) does not act.
const data = () => {
  const rng = Xoshiro128.fromSeed(3);
  const x = tf.tensor2d(rng.uniformArray(16 * 3, -0.1, 0.1), [16, 3]);
  const y = tf.tensor2d(rng.uniformArray(16, -0.1, 0.1), [16, 1]);
  return { x, y };
};
const start = () => ({ w: tf.variable(tf.tensor2d([[0.2], [-0.1], [0.05]])), b: tf.variable(tf.tensor1d([0.1])) });

describe('guide: migrating from tf.train and tfjs-layers', () => {
  it(
    'gradkit’s adam({ epsilon: 1e-7 }) follows tf.train.adam(1e-3), directly and through toTfOptimizer',
    async () => {
      const { x, y } = data();
      const [theirs, ours, adapted] = [start(), start(), start()];
      trainWithTfTrain(theirs.w, theirs.b, x, y, 20);
      await trainWithGradkit(ours.w, ours.b, x, y, 20);
      trainWithAdapter(adapted.w, adapted.b, x, y, 20);
      const [w, b] = [await theirs.w.data(), await theirs.b.data()];
      expect(Math.abs((b[0] as number) - 0.1)).toBeGreaterThan(1e-3); // it moved: 20 steps of ~1e-3
      for (const p of [ours, adapted]) {
        await expectClose(p.w, tf.tensor2d(w, [3, 1]), { rtol: 1e-5, atol: 1e-7 });
        await expectClose(p.b, b, { rtol: 1e-5, atol: 1e-7 });
      }
      tf.dispose([x, y, theirs, ours, adapted] as unknown as tf.TensorContainer);
    },
    SLOW,
  );

  it(
    'a tfjs-layers model fits with a gradkit chain, and gradientCallback reports on its gradients',
    async () => {
      const rng = Xoshiro128.fromSeed(5);
      const xs = tf.tensor2d(rng.uniformArray(48 * 784), [48, 784]);
      const ys = tf.tidy(() =>
        tf.cast(
          tf.oneHot(
            tf.tensor1d(
              Array.from({ length: 48 }, (_, i) => i % 10),
              'int32',
            ),
            10,
          ),
          'float32',
        ),
      );
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const reports = await fitLayersModel(xs, ys, 2); // 3 batches per epoch: batches 0 … 5, a report every 10
      log.mockRestore();
      expect(reports.map((r) => r.step)).toEqual([0]);
      expect(reports[0]?.layers.map((l) => l.name).some((n) => n.endsWith('kernel'))).toBe(true);
      expect(reports.every((r) => r.verdict === 'healthy')).toBe(true);
      tf.dispose([xs, ys]);
    },
    SLOW,
  );
});
