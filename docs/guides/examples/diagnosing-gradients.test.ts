import { Xoshiro128 } from '@gradkit/core';
import type { GradientReport } from '@gradkit/diagnostics';
import { expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { diagnose, he, mlp, naive, throughAttention, throughTime, trainWatched } from './diagnosing-gradients.js';

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

  it(
    'through time: at initialization the gradient of a tanh simpleRnn and of an LSTM both vanish over 100 steps of the adding problem (Bengio et al. 1994)',
    async () => {
      // adding-problem inputs: a value in [0, 1) and a marker on two steps; the target is the sum of the marked values
      const rng = Xoshiro128.fromSeed(3);
      const [batch, time] = [8, 100];
      const values = rng.uniformArray(batch * time);
      const seq = new Float32Array(batch * time * 2);
      const target = new Float32Array(batch);
      for (let b = 0; b < batch; b++)
        for (let t = 0; t < time; t++) {
          seq[(b * time + t) * 2] = values[b * time + t] as number;
          if (t === b || t === time - 1 - b) {
            seq[(b * time + t) * 2 + 1] = 1;
            target[b] = (target[b] as number) + (values[b * time + t] as number);
          }
        }
      const xs = tf.tensor3d(seq, [batch, time, 2]);
      const ys = tf.tensor2d(target, [batch, 1]);
      const log = quiet();
      // tfjs-webgpu's small-output matMul program: the default one for products this small is ~30× slower on SwiftShader
      const webgpu = tf.getBackend() === 'webgpu';
      const before = webgpu ? tf.env().getNumber('WEBGPU_MATMUL_PROGRAM_TYPE') : 0;
      if (webgpu) tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', 2);
      let rnn: GradientReport;
      let cell: GradientReport;
      try {
        rnn = await throughTime('simpleRnn', xs, ys);
        cell = await throughTime('lstm', xs, ys);
      } finally {
        if (webgpu) tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', before);
        log.mockRestore();
        tf.dispose([xs, ys]);
      }
      for (const [r, layer] of [
        [rnn, '0.simpleRnn'],
        [cell, '0.lstm'],
      ] as const) {
        expect(r.temporal?.[0]?.layer).toBe(layer);
        expect(r.temporal?.[0]?.steps).toHaveLength(time);
        expect(r.temporal?.[0]?.firstLastRatio).toBeLessThan(1e-3);
        expect(r.verdict).toBe('vanishing');
        expect(r.findings.some((f) => f.kind === 'vanishingThroughTime' && f.where.startsWith(`${layer}, steps 0–`))).toBe(true);
      }
      // an LSTM is not told to become one
      expect(cell.findings.find((f) => f.kind === 'vanishingThroughTime')?.toTry.join()).not.toMatch(/lstm\(/);
      expect(rnn.findings.find((f) => f.kind === 'vanishingThroughTime')?.toTry.join()).toMatch(/lstm\(/);
    },
    SLOW,
  );

  it(
    'through attention: query and key kernels ×8 make the logits grow past 50 and the entropy collapse; at ×1 neither',
    async () => {
      const z = tf.tensor3d(Float32Array.from(Xoshiro128.fromSeed(4).standardNormals(4 * 10 * 16)), [4, 10, 16]);
      const log = quiet();
      const [calm, grown] = [await throughAttention(z, 1), await throughAttention(z, 8)];
      log.mockRestore();
      z.dispose();
      const [a, b] = [calm.attention?.[0], grown.attention?.[0]];
      expect(a?.layer).toBe('0.transformerBlock.attention.multiHeadAttention');
      expect(a?.maxEntropy).toBeCloseTo(Math.log(10), 6);
      expect(a?.logitMaxAbs).toBeLessThan(50);
      expect(calm.findings.some((f) => f.kind === 'attentionLogitGrowth')).toBe(false);
      expect(b?.logitMaxAbs).toBeGreaterThan(50);
      expect(b?.entropy).toBeLessThan((a?.entropy as number) / 2);
      const f = grown.findings.find((x) => x.kind === 'attentionLogitGrowth');
      expect(f?.toTry[0]).toMatch(/^Pre-LN blocks: transformerBlock\(\{ embedDim, numHeads, ffnDim, norm: 'pre' \}\)/);
    },
    SLOW,
  );
});
