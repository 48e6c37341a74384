import { Xoshiro128 } from '@gradkit/core';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { diagnose, he, mlp, naive, trainWatched } from './diagnosing-gradients.js';

/** A readback per step and shaders compiled on the CPU make these slow on SwiftShader when the machine is busy. */
const SLOW = 120_000;

// A batch of 32 "images" in [0, 1] and one-hot labels, the same numbers on every backend.
let x: tf.Tensor;
let y: tf.Tensor;
beforeAll(() => {
  x = tf.tensor2d(Xoshiro128.fromSeed(7).uniformArray(32 * 784), [32, 784]);
  y = tf.tidy(() =>
    tf.cast(
      tf.oneHot(
        tf.tensor1d(
          Array.from({ length: 32 }, (_, i) => i % 10),
          'int32',
        ),
        10,
      ),
      'float32',
    ),
  );
});
afterAll(() => tf.dispose([x, y]));
const quiet = () => vi.spyOn(console, 'log').mockImplementation(() => {});

describe('guide: diagnosing vanishing and exploding gradients', () => {
  it(
    'a 10-layer sigmoid net with the naive init vanishes (Glorot & Bengio 2010): the first layer gets < 1e-3 of the last one’s gradient',
    async () => {
      const model = mlp(10, 32, 'sigmoid', naive);
      const log = quiet();
      const report = await diagnose(model, x, y);
      log.mockRestore();
      expect(report.verdict).toBe('vanishing');
      expect(report.firstLastRatio).toBeLessThan(1e-3);
      expect(report.findings[0]?.kind).toBeDefined();
      expect(report.layers).toHaveLength(22); // 11 kernels and 11 biases, input to output
      model.dispose();
    },
    SLOW,
  );

  it('the same depth with ReLU + He init is healthy (He et al. 2015)', async () => {
    const model = mlp(10, 32, 'relu', he);
    const log = quiet();
    const report = await diagnose(model, x, y);
    log.mockRestore();
    expect(report.verdict).toBe('healthy');
    expect(report.firstLastRatio).toBeGreaterThan(1e-3);
    expect(report.firstLastRatio).toBeLessThan(1e3);
    model.dispose();
  });

  it('He×2 init explodes: the logits grow about 2× per layer (He et al. 2015)', async () => {
    const heTwice = (fanIn: number, seed: number) => (shape: readonly number[]) => tf.tidy(() => tf.mul(he(fanIn, seed)(shape), 2));
    const model = mlp(10, 32, 'relu', heTwice);
    const log = quiet();
    const report = await diagnose(model, x, y);
    log.mockRestore();
    expect(['exploding', 'nonfinite']).toContain(report.verdict);
    model.dispose();
  });

  it(
    'monitorGradients reports every 2 steps while training, and nothing leaks',
    async () => {
      const model = mlp(4, 16, 'relu', he);
      const batches = Array.from({ length: 5 }, () => ({ x, y }));
      const log = quiet();
      let reports: Awaited<ReturnType<typeof trainWatched>> = [];
      await expectNoLeaks(async () => {
        reports = await trainWatched(model, batches, 2);
      });
      log.mockRestore();
      expect(reports.map((r) => r.step)).toEqual([0, 2, 4]);
      expect(reports[0]?.verdict).toBe('healthy');
      expect(reports.map((r) => r.verdict)).toEqual(['healthy', 'healthy', 'healthy']);
      model.dispose();
    },
    SLOW,
  );
});
