import { DisposedError, HyperParameterError, Optimizer, UnknownOptionError, ValueError, valueAndGrad } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { batchNorm } from './batch-norm.js';
import { BatchNorm, type BatchNormOptions } from './batch-norm-module.js';
import { expectTypedError, forwardTolerance, gradTolerance } from './norm-test-kit.js';
import { batchLayout, refBackward, refForward, seeded, size } from './test-kit.js';

/**
 * float64 reference of PyTorch's BatchNorm running statistics (torch/nn/modules/batchnorm.py,
 * `_BatchNorm.forward`: exponential_average_factor = momentum, or 1/num_batches_tracked when
 * momentum is None; aten's batch_norm update: running_mean = m·mean + (1 − m)·running_mean,
 * running_var = m·var·n/(n − 1) + (1 − m)·running_var, var the biased batch variance).
 */
function torchRunningStats(batches: number[][], shape: readonly number[], momentum: number | null) {
  const c = shape[shape.length - 1] as number;
  let mean = new Array(c).fill(0);
  let variance = new Array(c).fill(1);
  batches.forEach((x, t) => {
    const f = refForward(x, batchLayout(shape), null, null, 1e-5);
    const m = momentum ?? 1 / (t + 1);
    const n = f.count[0] as number;
    mean = mean.map((r, k) => (1 - m) * r + m * (f.mean[k] as number));
    variance = variance.map((r, k) => (1 - m) * r + (m * (f.variance[k] as number) * n) / (n - 1));
  });
  return { mean, variance };
}

/** float64 inference: (x − running_mean)/sqrt(running_var + eps)·γ + β (torch.nn.functional.batch_norm, training=False). */
function torchEval(x: number[], c: number, stats: { mean: number[]; variance: number[] }, gamma: number[], beta: number[], eps: number) {
  return x.map(
    (v, i) => ((v - (stats.mean[i % c] as number)) / Math.sqrt((stats.variance[i % c] as number) + eps)) * (gamma[i % c] as number) + (beta[i % c] as number),
  );
}

/** The batch count of a BatchNorm's `numBatchesTracked` buffer (an int32 scalar variable). */
const countOf = async (bn: BatchNorm) => (await (bn.numBatchesTracked as tf.Variable).data())[0];

const batchesOf = (shape: number[], count: number, seed: number) => Array.from({ length: count }, (_, t) => seeded(size(shape), seed + t, -3 + t, 2 + 2 * t));

describe('BatchNorm module (torch.nn.BatchNorm1d/2d, channels last)', () => {
  it('starts with gamma = 1, beta = 0 (trainable), runningMean = 0, runningVar = 1 (not trainable), in training mode', async () => {
    const bn = new BatchNorm({ features: 3 });
    expect(bn.training).toBe(true);
    expect(bn.name).toBe('batchNorm');
    expect([bn.momentum, bn.epsilon, bn.features, await countOf(bn)]).toEqual([0.1, 1e-5, 3, 0]);
    expect(bn.numBatchesTracked?.dtype).toBe('int32');
    expect(bn.buffers).toEqual({ runningMean: bn.runningMean, runningVar: bn.runningVar, numBatchesTracked: bn.numBatchesTracked });
    expect(Object.keys(bn.params)).toEqual(['gamma', 'beta']);
    await expectClose(bn.params.gamma as tf.Variable, [1, 1, 1]);
    await expectClose(bn.params.beta as tf.Variable, [0, 0, 0]);
    await expectClose(bn.runningMean as tf.Variable, [0, 0, 0]);
    await expectClose(bn.runningVar as tf.Variable, [1, 1, 1]);
    expect([bn.params.gamma?.trainable, bn.params.beta?.trainable, bn.runningMean?.trainable, bn.runningVar?.trainable]).toEqual([true, true, false, false]);
    expect(bn.eval()).toBe(bn);
    expect(bn.training).toBe(false);
    expect(bn.train().training).toBe(true);
    bn.dispose();
  });

  for (const [what, shape] of [
    ['[N, C] = [5, 3]', [5, 3]],
    ['[N, H, W, C] = [2, 3, 2, 4]', [2, 3, 2, 4]],
  ] as [string, number[]][]) {
    for (const momentum of [0.1, 0.3, null]) {
      it(`${what}, momentum ${momentum}: training applies normalize with batch statistics and update the running statistics as PyTorch, once per apply`, async () => {
        const c = shape[shape.length - 1] as number;
        const bn = new BatchNorm({ features: c, momentum });
        const batches = batchesOf(shape, 4, 40);
        for (const [t, x] of batches.entries()) {
          const xt = tf.tensor(x, shape);
          const y = bn.apply(xt);
          await expectClose(await y.data(), refForward(x, batchLayout(shape), new Array(c).fill(1), new Array(c).fill(0), 1e-5).y, forwardTolerance());
          expect(await countOf(bn)).toBe(t + 1);
          tf.dispose([xt, y]);
        }
        const ref = torchRunningStats(batches, shape, momentum);
        await expectClose(bn.runningMean as tf.Variable, ref.mean, forwardTolerance());
        await expectClose(bn.runningVar as tf.Variable, ref.variance, forwardTolerance());

        // Inference mode normalizes with the running statistics and leaves them alone.
        const test = seeded(size(shape), 99, -1, 3);
        const xt = tf.tensor(test, shape);
        const gamma = seeded(c, 7, 0.5, 2);
        const beta = seeded(c, 8);
        tf.tidy(() => {
          (bn.params.gamma as tf.Variable).assign(tf.tensor1d(gamma));
          (bn.params.beta as tf.Variable).assign(tf.tensor1d(beta));
        });
        const expected = torchEval(test, c, ref, gamma, beta, 1e-5);
        const inEval = bn.eval().apply(xt);
        await expectClose(await inEval.data(), expected, forwardTolerance());
        const override = bn.train().apply(xt, { training: false });
        await expectClose(await override.data(), expected, forwardTolerance());
        expect(await countOf(bn)).toBe(4);
        await expectClose(bn.runningMean as tf.Variable, ref.mean, forwardTolerance());
        tf.dispose([xt, inEval, override]);
        bn.dispose();
      });
    }
  }

  it('apply(x, { training: true }) in eval mode uses batch statistics and updates the running statistics', async () => {
    const bn = new BatchNorm({ features: 2, momentum: 0.5 }).eval();
    const x = tf.tensor2d([
      [1, 10],
      [3, 30],
    ]);
    const y = bn.apply(x, { training: true });
    const s = 1 / Math.sqrt(1.00001);
    const s2 = 1 / Math.sqrt(1 + 1e-5 / 100);
    await expectClose(y, [
      [-s, -s2],
      [s, s2],
    ]);
    // mean [2, 20]; unbiased variance [2, 200]: running = 0.5·old + 0.5·batch
    await expectClose(bn.runningMean as tf.Variable, [1, 10]);
    await expectClose(bn.runningVar as tf.Variable, [1.5, 100.5]);
    expect(bn.training).toBe(false);
    tf.dispose([x, y]);
    bn.dispose();
  });

  it('inside valueAndGrad (training): gradients wrt gamma, beta and x match the float64 reference, the running statistics update once, and no gradient reaches them', async () => {
    const shape = [4, 2, 3];
    const bn = new BatchNorm({ features: 3 });
    const [x, w] = [seeded(24, 50), seeded(24, 51, -1, 1)];
    const [xt, wt] = [tf.tensor(x, shape), tf.tensor(w, shape)];
    const tree = {
      x: tf.variable(xt),
      gamma: bn.params.gamma as tf.Variable,
      beta: bn.params.beta as tf.Variable,
      runningMean: bn.runningMean as tf.Variable,
      runningVar: bn.runningVar as tf.Variable,
    };
    const { value, grads } = valueAndGrad((p: typeof tree) => tf.sum(tf.mul(wt, bn.apply(p.x))))(tree);
    const fwd = refForward(x, batchLayout(shape), [1, 1, 1], [0, 0, 0], 1e-5);
    const ref = refBackward(fwd, w, batchLayout(shape), [1, 1, 1]);
    await expectClose(await grads.x.data(), ref.dx, { ...gradTolerance(), what: 'dx' });
    await expectClose(grads.gamma, ref.dgamma, { ...gradTolerance(), what: 'dgamma' });
    await expectClose(grads.beta, ref.dbeta, { ...gradTolerance(), what: 'dbeta' });
    await expectClose(grads.runningMean, [0, 0, 0], { rtol: 0, atol: 0, what: 'no gradient into runningMean' });
    await expectClose(grads.runningVar, [0, 0, 0], { rtol: 0, atol: 0, what: 'no gradient into runningVar' });
    expect(await countOf(bn)).toBe(1);
    const stats = torchRunningStats([x], shape, 0.1);
    await expectClose(bn.runningMean as tf.Variable, stats.mean, forwardTolerance());
    await expectClose(bn.runningVar as tf.Variable, stats.variance, forwardTolerance());
    tf.dispose([xt, wt, tree.x, value, grads]);
    bn.dispose();
  });

  it('inside tf.variableGrads (every trainable variable): only gamma and beta get gradients, the running statistics update once', async () => {
    const bn = new BatchNorm({ features: 2 });
    const x = tf.tensor2d([
      [1, 2],
      [3, 5],
      [4, 0],
    ]);
    const w = tf.tensor2d([
      [1, -1],
      [0.5, 2],
      [-2, 1],
    ]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(w, bn.apply(x))) as tf.Scalar);
    const names = Object.keys(grads);
    expect(names).toContain((bn.params.gamma as tf.Variable).name);
    expect(names).toContain((bn.params.beta as tf.Variable).name);
    expect(names).not.toContain((bn.runningMean as tf.Variable).name);
    expect(names).not.toContain((bn.runningVar as tf.Variable).name);
    expect(await countOf(bn)).toBe(1);
    await expectClose(bn.runningMean as tf.Variable, [0.1 * (8 / 3), 0.1 * (7 / 3)]);
    tf.dispose([x, w, value, ...Object.values(grads)]);
    bn.dispose();
  });

  it('inside valueAndGrad (inference): gradients follow the running statistics, which do not change', async () => {
    const bn = new BatchNorm({ features: 2 });
    const warm = tf.tensor2d([
      [0, 4],
      [2, 8],
      [7, -3],
    ]);
    bn.apply(warm).dispose();
    bn.eval();
    const [rm, rv] = [Array.from(await (bn.runningMean as tf.Variable).data()), Array.from(await (bn.runningVar as tf.Variable).data())];
    const x = [1, -2, 0.5, 3];
    const w = [0.3, -1, 2, 0.7];
    const [xt, wt] = [tf.tensor2d(x, [2, 2]), tf.tensor2d(w, [2, 2])];
    const tree = { x: xt, gamma: bn.params.gamma as tf.Variable, beta: bn.params.beta as tf.Variable };
    const { value, grads } = valueAndGrad((p: typeof tree) => tf.sum(tf.mul(wt, bn.apply(p.x))))(tree);
    // y = (x − rm)/√(rv + ε)·γ + β: dx = w·γ/√(rv + ε), dγ = Σ w·(x − rm)/√(rv + ε), dβ = Σ w.
    const inv = rv.map((v) => 1 / Math.sqrt(v + 1e-5));
    await expectClose(
      await grads.x.data(),
      w.map((d, i) => d * (inv[i % 2] as number)),
    );
    await expectClose(
      grads.gamma,
      [0, 1].map((k) => [0, 1].reduce((s, n) => s + (w[2 * n + k] as number) * ((x[2 * n + k] as number) - (rm[k] as number)) * (inv[k] as number), 0)),
    );
    await expectClose(grads.beta, [(w[0] as number) + (w[2] as number), (w[1] as number) + (w[3] as number)]);
    expect(await countOf(bn)).toBe(1);
    await expectClose(bn.runningMean as tf.Variable, rm);
    tf.dispose([warm, xt, wt, value, grads]);
    bn.dispose();
  });

  it('trains with the Optimizer (sgd): gamma, beta and the running statistics follow the float64 trajectory over 4 minimize steps', async () => {
    const shape = [3, 2, 2];
    const bn = new BatchNorm({ features: 2, momentum: 0.2 });
    const opt = new Optimizer(bn.params, sgd({ learningRate: 0.1, momentum: 0.5 }));
    const batches = batchesOf(shape, 4, 60);
    const w = seeded(12, 70, -1, 1);
    const wt = tf.tensor(w, shape);
    let [gamma, beta] = [
      [1, 1],
      [0, 0],
    ];
    let [bufG, bufB]: (number[] | null)[] = [null, null];
    for (const x of batches) {
      const xt = tf.tensor(x, shape);
      await opt.minimize(() => tf.sum(tf.mul(wt, bn.apply(xt))));
      // torch.optim.SGD with momentum: buf = g (first step), then μ·buf + g; θ ← θ − lr·buf
      const fwd = refForward(x, batchLayout(shape), gamma, beta, 1e-5);
      const g = refBackward(fwd, w, batchLayout(shape), gamma);
      bufG = bufG ? bufG.map((b, k) => 0.5 * b + (g.dgamma[k] as number)) : g.dgamma;
      bufB = bufB ? bufB.map((b, k) => 0.5 * b + (g.dbeta[k] as number)) : g.dbeta;
      gamma = gamma.map((v, k) => v - 0.1 * ((bufG as number[])[k] as number));
      beta = beta.map((v, k) => v - 0.1 * ((bufB as number[])[k] as number));
      xt.dispose();
    }
    await expectClose(bn.params.gamma as tf.Variable, gamma, gradTolerance());
    await expectClose(bn.params.beta as tf.Variable, beta, gradTolerance());
    const stats = torchRunningStats(batches, shape, 0.2);
    await expectClose(bn.runningMean as tf.Variable, stats.mean, forwardTolerance());
    await expectClose(bn.runningVar as tf.Variable, stats.variance, forwardTolerance());
    expect(await countOf(bn)).toBe(4);
    opt.dispose();
    wt.dispose();
    bn.dispose();
  });

  it('leaks no tensors over many applies in both modes, with and without a gradient tape', async () => {
    const bn = new BatchNorm({ features: 4 });
    const opt = new Optimizer(bn.params, sgd({ learningRate: 0.01 }));
    const x = tf.randomNormal([6, 4], 0, 1, 'float32', 8);
    await opt.minimize(() => tf.sum(bn.apply(x))); // warm up the optimizer's state
    await expectNoLeaks(async () => {
      for (let i = 0; i < 50; i++) {
        bn.apply(x).dispose();
        bn.apply(x, { training: false }).dispose();
        tf.tidy(() => {
          bn.apply(x);
        });
        await opt.minimize(() => tf.sum(tf.square(bn.apply(x))));
        await opt.minimize(() => tf.sum(tf.square(bn.apply(x, { training: false }))));
      }
    });
    expect(await countOf(bn)).toBe(1 + 50 * 3);
    opt.dispose();
    x.dispose();
    bn.dispose();
  });

  it('without trackRunningStats it has no buffers and uses batch statistics in both modes; without affine it has no params', async () => {
    const x = tf.tensor(seeded(12, 80), [4, 3]);
    const plain = new BatchNorm({ features: 3, trackRunningStats: false, affine: false });
    expect(plain.runningMean).toBeNull();
    expect(plain.runningVar).toBeNull();
    expect(plain.numBatchesTracked).toBeNull();
    expect(plain.buffers).toEqual({});
    expect(plain.params).toEqual({});
    const expected = batchNorm(x);
    const [a, b] = [plain.apply(x), plain.eval().apply(x)];
    await expectClose(a, expected);
    await expectClose(b, expected);
    tf.dispose([x, expected, a, b]);
    plain.dispose();
  });

  for (const momentum of [0.1, null]) {
    it(`momentum ${momentum}: buffers restored with assign into a fresh module continue bit for bit (training, then inference)`, async () => {
      const shape = [6, 3];
      const batches = batchesOf(shape, 5, 70).map((x) => tf.tensor(x, shape));
      const a = new BatchNorm({ features: 3, momentum });
      for (const x of batches.slice(0, 3)) a.apply(x).dispose();
      const b = new BatchNorm({ features: 3, momentum });
      expect(Object.keys(b.buffers)).toEqual(['runningMean', 'runningVar', 'numBatchesTracked']);
      const saved = a.buffers as Record<string, tf.Variable>;
      for (const [key, v] of Object.entries(b.buffers as Record<string, tf.Variable>)) v.assign(saved[key] as tf.Variable);
      expect(await countOf(b)).toBe(3);
      // Two more training batches: with momentum null the weight 1/t comes from the restored count (1/4, 1/5, not 1, 1/2).
      for (const x of batches.slice(3)) {
        a.apply(x).dispose();
        b.apply(x).dispose();
      }
      for (const key of ['runningMean', 'runningVar', 'numBatchesTracked'])
        expect(Array.from(await (b.buffers as Record<string, tf.Variable>)[key]!.data()), key).toEqual(
          Array.from(await (a.buffers as Record<string, tf.Variable>)[key]!.data()),
        );
      const ref = torchRunningStats(batchesOf(shape, 5, 70), shape, momentum);
      await expectClose(b.runningMean as tf.Variable, ref.mean, forwardTolerance());
      const [ya, yb] = [a.eval().apply(batches[0] as tf.Tensor), b.eval().apply(batches[0] as tf.Tensor)];
      expect(Array.from(await yb.data())).toEqual(Array.from(await ya.data()));
      tf.dispose([...batches, ya, yb]);
      a.dispose();
      b.dispose();
    });
  }

  it('resetRunningStats restores mean 0, variance 1 and the batch count', async () => {
    const bn = new BatchNorm({ features: 2 });
    const x = tf.tensor2d([
      [1, 2],
      [3, 7],
    ]);
    bn.apply(x).dispose();
    expect(bn.resetRunningStats()).toBe(bn);
    expect(await countOf(bn)).toBe(0);
    await expectClose(bn.runningMean as tf.Variable, [0, 0]);
    await expectClose(bn.runningVar as tf.Variable, [1, 1]);
    x.dispose();
    bn.dispose();
  });

  it('dispose releases its five variables; apply afterwards throws DisposedError', () => {
    const before = tf.memory().numTensors;
    const bn = new BatchNorm({ features: 5 });
    expect(tf.memory().numTensors).toBe(before + 5);
    bn.dispose();
    bn.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const x = tf.zeros([2, 5]);
    expect(() => bn.apply(x)).toThrow(DisposedError);
    x.dispose();
  });

  describe('bad input gets a typed error naming the argument', () => {
    const bad: [string, BatchNormOptions, string][] = [
      ['features 0', { features: 0 }, 'features'],
      ['features 2.5', { features: 2.5 }, 'features'],
      ['features missing', {} as BatchNormOptions, 'features'],
      ['momentum < 0', { features: 2, momentum: -0.1 }, 'momentum'],
      ['momentum > 1', { features: 2, momentum: 1.5 }, 'momentum'],
      ['momentum NaN', { features: 2, momentum: Number.NaN }, 'momentum'],
      ['momentum a string', { features: 2, momentum: '0.1' as unknown as number }, 'momentum'],
      ['epsilon 0', { features: 2, epsilon: 0 }, 'epsilon'],
      ['epsilon < 0', { features: 2, epsilon: -1e-5 }, 'epsilon'],
      ['affine not a boolean', { features: 2, affine: 1 as unknown as boolean }, 'affine'],
      ['trackRunningStats not a boolean', { features: 2, trackRunningStats: 'yes' as unknown as boolean }, 'trackRunningStats'],
      ['name empty', { features: 2, name: '' }, 'name'],
    ];
    for (const [what, options, field] of bad) it(`options: ${what}`, () => expectTypedError(() => new BatchNorm(options), HyperParameterError, field));

    it("options: PyTorch's spellings are unknown options that suggest gradkit's (never ignored)", () => {
      expect(() => new BatchNorm({ num_features: 4 } as never)).toThrow(/unknown option 'num_features' \(did you mean 'features'\?\)/);
      expect(() => new BatchNorm({ features: 4, eps: 1e-3 } as never)).toThrow(/unknown option 'eps' \(did you mean 'epsilon'\?\)/);
      expect(() => new BatchNorm({ features: 4, track_running_stats: false } as never)).toThrow(/did you mean 'trackRunningStats'\?/);
      expect(() => new BatchNorm({ features: 4, eps: 1e-3 } as never)).toThrow(UnknownOptionError);
    });

    const bn = new BatchNorm({ features: 3 });
    afterAll(() => bn.dispose());
    const inputs: [string, () => unknown, string][] = [
      ['x of another feature count', () => bn.apply(tf.zeros([4, 2])), 'x'],
      ['x of rank 1 (no batch axis)', () => bn.apply(tf.zeros([3])), 'x'],
      ['one value per feature in training', () => bn.apply(tf.zeros([1, 3])), 'x'],
      ['x int32', () => bn.apply(tf.zeros([4, 3], 'int32')), 'x'],
      ['x int32 in inference', () => bn.apply(tf.zeros([4, 3], 'int32'), { training: false }), 'x'],
      ['options.training not a boolean', () => bn.apply(tf.zeros([4, 3]), { training: 'no' as unknown as boolean }), 'training'],
    ];
    for (const [what, run, field] of inputs) it(`apply: ${what}`, () => expectTypedError(run, ValueError, field));

    it('apply: a batch of one in inference mode is fine', async () => {
      const x = tf.ones([1, 3]);
      const y = bn.apply(x, { training: false });
      await expectClose(y, [[1 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(1 + 1e-5)]]);
      tf.dispose([x, y]);
    });
  });
});
