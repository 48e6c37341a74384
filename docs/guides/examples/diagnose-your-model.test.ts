import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { deepSigmoid, doctor, sharpness } from './diagnose-your-model.js';

/** 128 samples of 8 features ~ U(−1, 1) (a fixed LCG), the class the argmax of three fixed projections, one-hot. */
function data(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  let s = 12345;
  const u = () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647) * 2 - 1;
  };
  const xs = Array.from({ length: 128 * 8 }, u);
  const w = Array.from({ length: 8 * 3 }, u);
  const labels = Array.from({ length: 128 }, (_, i) => {
    const score = [0, 1, 2].map((c) => xs.slice(i * 8, i * 8 + 8).reduce((a, v, k) => a + v * (w[k * 3 + c] as number), 0));
    return score.indexOf(Math.max(...score));
  });
  return tf.tidy(() => ({ x: tf.tensor2d(xs, [128, 8]), y: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), 'float32') as tf.Tensor2D }));
}

describe('guide: diagnose your own model', () => {
  // The whole doctor is 6 probe fits of 40 steps: seconds on cpu and wasm, minutes on SwiftShader's
  // WebGPU. The doctor's own tests run it on webgpu (packages/diagnostics/src/try-remedies.test.ts).
  it.skipIf(currentBackend() === 'webgpu')(
    'finds the deep sigmoid net vanishing, recommends a remedy that lowers the final loss by ≥ 10%, and the remedied copy trains',
    async () => {
      vi.spyOn(console, 'log').mockImplementation(() => {});
      const { x, y } = data();
      const model = deepSigmoid(8, 3);
      const before = await Promise.all(model.getWeights().map((w) => w.data()));
      const { trial, history } = await expectNoLeaks(async () => {
        const out = await doctor(model, x, y);
        return { trial: out.trial, history: out.history };
      });
      expect(trial.diagnosis.verdict).toBe('vanishing');
      expect(trial.recommended).toBeDefined();
      expect(trial.recommended?.finalLoss).toBeLessThanOrEqual(0.9 * (trial.baseline.finalLoss as number));
      const losses = history?.history.loss as number[];
      expect(losses.at(-1)).toBeLessThan(losses[0] as number);
      // the user's model is untouched
      const after = await Promise.all(model.getWeights().map((w) => w.data()));
      for (const [i, w] of after.entries()) expect(Array.from(w)).toEqual(Array.from(before[i] as Float32Array));
      model.dispose();
      tf.dispose([x, y]);
      vi.restoreAllMocks();
    },
    120_000,
  );

  it('finds λmax of a least-squares loss by hand, and the edge of stability at lr·λmax/2 > 1', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    // L(w) = mean((y − Xw)²) over the 2 rows of X = [[2, 0], [0, 1]]: the Hessian 2XᵀX/n = diag(4, 1), λmax = 4.
    const x = tf.tensor2d([2, 0, 0, 1], [2, 2]);
    const y = tf.tensor2d([1, 1], [2, 1]);
    const past = await expectNoLeaks(() => sharpness(x, y, 0.6)); // 0.6 · 4 / 2 = 1.2
    await expectClose(past.lambdaMax, 4, { rtol: 1e-3, what: 'λmax' });
    expect(past.finding?.kind).toBe('edgeOfStability');
    expect((await sharpness(x, y, 0.4)).finding).toBeUndefined(); // 0.4 · 4 / 2 = 0.8
    tf.dispose([x, y]);
    vi.restoreAllMocks();
  });
});
