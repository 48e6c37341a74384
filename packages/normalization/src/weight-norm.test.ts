import { HyperParameterError, Optimizer, ValueError, valueAndGrad } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { backendTolerance, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectTypedError, maxAbsDiff } from './norm-test-kit.js';
import { dot, finiteDifferences, seeded, size } from './test-kit.js';
import { weightNorm, weightNormParams } from './weight-norm.js';

/** The slice index of every element of a row-major tensor of `shape` along `dim` (0 for all when dim is null). */
const sliceOf = (shape: readonly number[], dim: number | null) => {
  if (dim === null) return () => 0;
  const stride = size(shape.slice(dim + 1));
  return (i: number) => Math.floor(i / stride) % (shape[dim] as number);
};

/**
 * float64 reference: torch._weight_norm(v, g, dim) = v * (g / norm_except_dim(v, 2, dim)), and its
 * derivative (torch's _weight_norm_interface_backward): with n = ‖v‖ over the slice,
 * dg = Σ dw·v / n, dv = g/n · (dw − v·dg/n).
 */
function refWeightNorm(v: readonly number[], g: readonly number[], shape: readonly number[], dim: number | null, dw: readonly number[]) {
  const at = sliceOf(shape, dim);
  const sq = new Array(g.length).fill(0);
  v.forEach((x, i) => {
    sq[at(i)] += x * x;
  });
  const n: number[] = sq.map(Math.sqrt);
  const nAt = (i: number) => n[at(i)] as number;
  const w = v.map((x, i) => ((g[at(i)] as number) * x) / nAt(i));
  const dg = new Array(g.length).fill(0);
  v.forEach((x, i) => {
    dg[at(i)] += ((dw[i] as number) * x) / nAt(i);
  });
  const dv = v.map((x, i) => ((g[at(i)] as number) / nAt(i)) * ((dw[i] as number) - (x * (dg[at(i)] as number)) / nAt(i)));
  return { w, dv, dg, norms: n };
}

const CASES: { what: string; shape: number[]; dim: number | null; option?: number | null }[] = [
  { what: 'dense [in, out] = [4, 3], dim −1 (default)', shape: [4, 3], dim: 1 },
  { what: 'conv [h, w, in, out] = [2, 2, 3, 4], dim −1 (default)', shape: [2, 2, 3, 4], dim: 3 },
  { what: '[5, 3], dim 0 (PyTorch layout)', shape: [5, 3], dim: 0, option: 0 },
  { what: '[3, 4], dim null (whole tensor)', shape: [3, 4], dim: null, option: null },
];

describe('weightNorm (Salimans & Kingma 2016; torch.nn.utils.weight_norm)', () => {
  it('matches a hand-worked example: v = [[3], [4]], g = [10] → w = [[6], [8]]', async () => {
    const params = { v: tf.tensor2d([[3], [4]]), g: tf.tensor1d([10]) };
    const w = weightNorm(params);
    await expectClose(w, [[6], [8]]);
    tf.dispose([params.v, params.g, w]);
  });

  for (const c of CASES) {
    it(`${c.what}: the weight and the gradients wrt v and g (valueAndGrad) match the float64 reference; the reference matches finite differences`, async () => {
      const gLen = c.dim === null ? 1 : (c.shape[c.dim] as number);
      const [v, g, dw] = [seeded(size(c.shape), 11), seeded(gLen, 12, 0.5, 2), seeded(size(c.shape), 13, -1, 1)];
      const ref = refWeightNorm(v, g, c.shape, c.dim, dw);
      const loss = (vs: number[], gs: number[]) => dot(dw, refWeightNorm(vs, gs, c.shape, c.dim, dw).w);
      expect(
        maxAbsDiff(
          finiteDifferences((vs) => loss(vs, g), v),
          ref.dv,
        ),
      ).toBeLessThan(1e-6);
      expect(
        maxAbsDiff(
          finiteDifferences((gs) => loss(v, gs), g),
          ref.dg,
        ),
      ).toBeLessThan(1e-6);

      const options = 'option' in c ? { dim: c.option } : {};
      const params = { v: tf.tensor(v, c.shape), g: tf.tensor(g, c.dim === null ? [] : [gLen]) };
      const dwt = tf.tensor(dw, c.shape);
      const w = weightNorm(params, options);
      await expectClose(await w.data(), ref.w, { what: 'w' });
      const { value, grads } = valueAndGrad((p: typeof params) => tf.sum(tf.mul(dwt, weightNorm(p, options))))(params);
      const tol = backendTolerance();
      await expectClose(await grads.v.data(), ref.dv, { ...tol, what: 'dv' });
      await expectClose(await grads.g.data(), ref.dg, { ...tol, what: 'dg' });
      tf.dispose([params.v, params.g, dwt, w, value, grads.v, grads.g]);
    });
  }

  it('weightNormParams: v = weight, g = the norms per output, so weightNorm reproduces the weight', async () => {
    const shape = [3, 2, 4];
    const values = seeded(24, 21);
    const weight = tf.tensor(values, shape);
    const params = await expectNoLeaks(() => weightNormParams(weight));
    expect(params.v).toBeInstanceOf(tf.Variable);
    expect(params.g.shape).toEqual([4]);
    expect(params.v.trainable && params.g.trainable).toBe(true);
    await expectClose(params.g, refWeightNorm(values, [1, 1, 1, 1], shape, 2, values).norms);
    const w = weightNorm(params);
    await expectClose(w, weight);
    const whole = weightNormParams(weight, { dim: null });
    expect(whole.g.shape).toEqual([]);
    await expectClose(whole.g, Math.sqrt(values.reduce((s, x) => s + x * x, 0)));
    weight.dispose(); // the variables do not depend on the weight tensor staying alive
    await expectClose(await params.v.data(), values);
    tf.dispose([params.v, params.g, w, whole.v, whole.g]);
  });

  it('trains with the Optimizer: three sgd steps on v and g follow the float64 trajectory', async () => {
    const shape = [3, 2];
    const c = seeded(6, 31, -1, 1); // L = Σ c·w, so dL/dw = c
    let [v, g] = [seeded(6, 32), seeded(2, 33, 0.5, 2)];
    const params = tf.tidy(() => ({ v: tf.variable(tf.tensor(v, shape)), g: tf.variable(tf.tensor1d(g)) }));
    const ct = tf.tensor(c, shape);
    const opt = new Optimizer(params, sgd({ learningRate: 0.1 }));
    for (let t = 0; t < 3; t++) {
      await opt.minimize((p) => tf.sum(tf.mul(ct, weightNorm(p))));
      const r = refWeightNorm(v, g, shape, 1, c);
      v = v.map((x, i) => x - 0.1 * (r.dv[i] as number));
      g = g.map((x, i) => x - 0.1 * (r.dg[i] as number));
    }
    await expectClose(params.v, [
      [v[0], v[1]],
      [v[2], v[3]],
      [v[4], v[5]],
    ] as number[][]);
    await expectClose(params.g, g);
    opt.dispose();
    tf.dispose([params.v, params.g, ct]);
  });

  it('leaks no tensors, inside and outside a gradient tape', async () => {
    const params = tf.tidy(() => weightNormParams(tf.randomNormal([4, 3], 0, 1, 'float32', 6)));
    await expectNoLeaks(() => {
      for (let i = 0; i < 20; i++) {
        weightNorm(params).dispose();
        const { value, grads } = valueAndGrad((p: typeof params) => tf.sum(tf.square(weightNorm(p))))(params);
        tf.dispose([value, grads.v, grads.g]);
      }
    });
    tf.dispose([params.v, params.g]);
  });

  describe('bad input gets a typed error naming the argument', () => {
    const v = () => tf.ones([4, 3]);
    const cases: [string, () => unknown, typeof HyperParameterError | typeof ValueError, string][] = [
      ['g of the wrong length', () => weightNorm({ v: v(), g: tf.ones([4]) }), HyperParameterError, 'g'],
      ['g in PyTorch keep-dims shape', () => weightNorm({ v: v(), g: tf.ones([1, 3]) }), HyperParameterError, 'g'],
      ['g missing', () => weightNorm({ v: v() } as never), HyperParameterError, 'g'],
      ['g not scalar with dim null', () => weightNorm({ v: v(), g: tf.ones([3]) }, { dim: null }), HyperParameterError, 'g'],
      ['dim out of range', () => weightNorm({ v: v(), g: tf.ones([3]) }, { dim: 2 }), HyperParameterError, 'dim'],
      ['dim not an integer', () => weightNorm({ v: v(), g: tf.ones([3]) }, { dim: 0.5 }), HyperParameterError, 'dim'],
      ['v int32', () => weightNorm({ v: tf.ones([4, 3], 'int32'), g: tf.ones([3]) }), ValueError, 'v'],
      ['v not a tensor', () => weightNorm({ v: [[1]] as never, g: tf.ones([1]) }), ValueError, 'v'],
      ['weightNormParams: dim out of range', () => weightNormParams(v(), { dim: -3 }), HyperParameterError, 'dim'],
    ];
    for (const [what, run, type, field] of cases) it(what, () => expectTypedError(run, type, field));
  });
});
