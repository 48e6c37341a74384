import { Optimizer } from '@gradkit/core';
import { expectClose, expectNoLeaks, smallOutputMatMul } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it, vi } from 'vitest';
import {
  adamwNoDecayOnBiases,
  adaptive,
  layersScheduleFree,
  more,
  muonForHiddenMatrices,
  recipe,
  scheduleFreeTraining,
  scheduleFreeWithBatchNorm,
  schedules,
  wrappers,
} from './choosing-an-optimizer.js';

/** A readback per step and shaders compiled on the CPU make these slow on SwiftShader when the machine is busy. */
const SLOW = 120_000;

// f(θ) = Σ aᵢ(θᵢ − cᵢ)², minimum 0 at θ = c; the bias has its own term.
const A = tf.tensor1d([0.5, 2, 1]);
const C = tf.tensor1d([1, -1, 0.5]);
const loss = (p: { kernel: tf.Variable; bias: tf.Variable }) => tf.add(tf.sum(tf.mul(A, tf.square(tf.sub(p.kernel, C)))), tf.sum(tf.square(tf.sub(p.bias, 2))));
const fresh = () => ({ kernel: tf.variable(tf.tensor1d([3, 2, -2])), bias: tf.variable(tf.tensor1d([0])) });

describe('guide: choosing an optimizer, schedule and clipping', () => {
  smallOutputMatMul(); // the small-output matMul program on SwiftShader (tiny matrices)
  it('the schedules print what the guide says: 0.05 0.001 0.1 0.05', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const s = schedules();
    expect(log).toHaveBeenCalledOnce();
    log.mockRestore();
    // Hand-worked: cosine at T/2 = 0.1·(1 + cos(π/2))/2; step decay 0.1·0.1² at 600; one-cycle peaks at 0.3·T − 1;
    // linear warmup from 0 to 0.1 over 100 steps is at 0.05 at step 50.
    expect(s.cosine?.(500)).toBeCloseTo(0.05, 12);
    expect(s.steps?.(600)).toBeCloseTo(0.001, 12);
    expect(s.cycle?.(299)).toBeCloseTo(0.1, 12); // PyTorch: the peak is at step pct_start·T − 1
    expect(s.warmThenCosine?.(50)).toBeCloseTo(0.05, 12);
    expect(s.warmThenCosine?.(100)).toBeCloseTo(0.1, 12); // the cosine part starts from its step 0
  });

  const chains = () => [recipe(200), adamwNoDecayOnBiases(200), ...more(), ...adaptive(200), ...wrappers()];
  it.each(chains().map((tx, i) => [i, tx.name]))(
    'chain %i (%s) of the guide trains the quadratic down, with no tensor leaks',
    async (i) => {
      const tx = chains()[i as number]!;
      const params = fresh();
      const opt = new Optimizer(params, tx);
      const first = await opt.minimize(loss);
      let last = first;
      await expectNoLeaks(async () => {
        for (let step = 0; step < 15; step++) last = await opt.minimize(loss);
      });
      expect(last).toBeLessThan(first);
      expect(Number.isFinite(last)).toBe(true);
      opt.dispose();
      tf.dispose([params.kernel, params.bias]);
    },
    SLOW,
  );

  it('the masked AdamW decays kernels only: with zero gradients the bias stays, the kernel shrinks by η·λ·θ', async () => {
    const params = fresh();
    const opt = new Optimizer(params, adamwNoDecayOnBiases(100));
    const zero = { kernel: tf.zeros([3]), bias: tf.zeros([1]) };
    opt.step(zero); // step 0: Adam's update is 0/(0 + ε) = 0; decay λθ = 0.05θ; lr cosine(0) = 1e-3
    await expectClose(params.bias, [0]);
    await expectClose(
      params.kernel,
      [3, 2, -2].map((t) => t - 1e-3 * 0.05 * t),
    );
    opt.dispose();
    tf.dispose([params.kernel, params.bias, zero.kernel, zero.bias]);
  });

  it(
    'muon: the hidden matrices go to Muon, the embedding, the head and the biases to AdamW; a next-token model trains',
    async () => {
      const vocab = 8;
      const { model, tx } = muonForHiddenMatrices(vocab);
      expect(tx.groups?.labels(model.params)).toEqual({
        '0.table': 'adamw',
        '1.kernel': 'muon',
        '1.bias': 'adamw',
        '2.kernel': 'muon',
        '2.bias': 'adamw',
        '3.kernel': 'adamw',
        '3.bias': 'adamw',
      });
      // Token t is followed by token (t + 3) mod 8.
      const x = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
      const y = tf.oneHot(tf.tensor1d([3, 4, 5, 6, 7, 0, 1, 2], 'int32'), vocab);
      const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor2D) as tf.Scalar;
      const opt = new Optimizer(model.params, tx);
      const first = await opt.minimize(loss);
      let last = first;
      for (let step = 0; step < 30; step++) last = await opt.minimize(loss);
      expect(last).toBeLessThan(first / 2);
      opt.dispose();
      tf.dispose([x, y, model.params] as unknown as tf.TensorContainer);
    },
    SLOW,
  );

  it(
    'schedule-free: the loss at x, measured between eval() and train(), falls',
    async () => {
      const params = fresh();
      const initial = (await loss(params).data())[0] as number;
      const atX = await scheduleFreeTraining(params, loss, 60, 20);
      expect(atX).toHaveLength(3);
      expect(atX[2]).toBeLessThan(atX[0] as number);
      expect(atX[0]).toBeLessThan(initial);
      tf.dispose([params.kernel, params.bias]);
    },
    SLOW,
  );

  it(
    'a tfjs-layers model fits with toTfOptimizer(scheduleFreeAdamW()) and evaluates at x',
    async () => {
      const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 8, inputShape: [2], activation: 'tanh' }), tfl.layers.dense({ units: 1 })] });
      const xs = tf.randomUniform([32, 2], -1, 1, 'float32', 3);
      const ys = tf.tidy(() => tf.sum(tf.mul(xs, tf.tensor1d([0.5, -1])), 1, true));
      const before = tf.tidy(() => tf.mean(tf.square(tf.sub(model.predict(xs) as tf.Tensor, ys))));
      const atX = await layersScheduleFree(model, xs, ys);
      expect(atX).toBeLessThan((await before.data())[0] as number);
      model.optimizer.dispose();
      model.dispose();
      tf.dispose([xs, ys, before]);
    },
    SLOW,
  );

  it(
    'schedule-free with BatchNorm: after recalibrateBatchNorm at x the model evaluates below the loss it started at',
    async () => {
      const x = tf.randomUniform([64, 4], -1, 1, 'float32', 5) as tf.Tensor2D;
      const y = tf.tidy(() => tf.sum(tf.mul(tf.relu(x), tf.tensor1d([1, -0.5, 0.25, 2])), 1, true)) as tf.Tensor2D;
      const baseline = tf.tidy(() => tf.mean(tf.square(tf.sub(y, tf.mean(y))))); // the loss of predicting the mean
      const atX = await scheduleFreeWithBatchNorm(x, y, 10);
      expect(Number.isFinite(atX)).toBe(true);
      expect(atX).toBeLessThan(((await baseline.data())[0] as number) / 2);
      tf.dispose([x, y, baseline]);
    },
    SLOW,
  );
});
