import { HyperParameterError, Optimizer, valueAndGrad } from '@gradkit/core';
import { constant as constantInit, heNormal, type Initializer, orthogonal, zeros } from '@gradkit/initializers';
import { sgd } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from './dense.js';
import { affine, expectHyperError } from './test-support.js';

const X = [
  [1, 2],
  [3, -1],
];
const W = [
  [1, 0, -1],
  [2, 1, 0.5],
];
const B = [0.1, -0.2, 0.3];
const constant =
  (values: number[][] | number[]): Initializer =>
  (shape) =>
    tf.tensor(values.flat(), [...shape]);

const handLayer = (options: { activation?: 'relu' } = {}) =>
  dense({ inFeatures: 2, outFeatures: 3, kernelInitializer: constant(W), biasInitializer: constant(B), ...options });

describe('dense', () => {
  it('computes x·W + b (hand-worked) and applies the activation', async () => {
    // x·W = [[1+4, 0+2, −1+1], [3−2, 0−1, −3−0.5]] = [[5, 2, 0], [1, −1, −3.5]]; + b
    const expected = [
      [5.1, 1.8, 0.3],
      [1.1, -1.2, -3.2],
    ];
    expect(affine(X, W, B)).toEqual(expected.map((r) => r.map((v) => expect.closeTo(v, 12))));
    const x = tf.tensor2d(X);
    const linear = handLayer();
    const relu = handLayer({ activation: 'relu' });
    const y = linear.apply(x);
    const yr = relu.apply(x);
    await expectClose(y, expected);
    await expectClose(yr, [
      [5.1, 1.8, 0.3],
      [1.1, 0, 0],
    ]);
    expect(linear.activation).toBe('linear');
    expect(relu.activation).toBe('relu');
    tf.dispose([x, y, yr]);
    linear.dispose();
    relu.dispose();
  });

  it('takes inputs of any rank ≥ 1 (features last) and activation functions', async () => {
    const layer = dense({ inFeatures: 2, outFeatures: 3, kernelInitializer: constant(W), useBias: false, activation: (t) => tf.mul(t, 2) });
    const x3 = tf.tensor3d([X, X.map((r) => r.map((v) => -v))]); // [2, 2, 2]
    const x1 = tf.tensor1d([1, 2]);
    const y3 = layer.apply(x3);
    const y1 = layer.apply(x1);
    expect(y3.shape).toEqual([2, 2, 3]);
    const xw = affine(X, W, null).map((r) => r.map((v) => 2 * v));
    await expectClose(y3, [xw, xw.map((r) => r.map((v) => -v))]);
    await expectClose(y1, xw[0] as number[]);
    expect(Object.keys(layer.params)).toEqual(['kernel']);
    tf.dispose([x3, x1, y3, y1]);
    layer.dispose();
  });

  it('holds { kernel [in, out], bias [out] } as trainable variables; default init is seeded Glorot-uniform and zero bias', async () => {
    const a = dense({ inFeatures: 16, outFeatures: 8, seed: 3 });
    const b = dense({ inFeatures: 16, outFeatures: 8, seed: 3 });
    const c = dense({ inFeatures: 16, outFeatures: 8, seed: 4 });
    expect(Object.keys(a.params)).toEqual(['kernel', 'bias']);
    expect(a.params.kernel).toBeInstanceOf(tf.Variable);
    expect(a.params.kernel.trainable).toBe(true);
    expect(a.params.kernel.shape).toEqual([16, 8]);
    expect(a.params.bias.shape).toEqual([8]);
    await expectClose(a.params.bias, new Array(8).fill(0));
    const [ka, kb, kc] = await Promise.all([a.params.kernel.data(), b.params.kernel.data(), c.params.kernel.data()]);
    expect(Array.from(kb)).toEqual(Array.from(ka));
    expect(Array.from(kc)).not.toEqual(Array.from(ka));
    const limit = Math.sqrt(6 / (16 + 8)); // Glorot & Bengio 2010: U(−√(6/(in+out)), √(6/(in+out)))
    expect(Math.max(...Array.from(ka, Math.abs))).toBeLessThanOrEqual(limit + 1e-6);
    for (const m of [a, b, c]) m.dispose();
  });

  it('gives hand-worked gradients under valueAndGrad, and trains with the Optimizer', async () => {
    // L = Σ y², ∂L/∂y = 2y = [[10.2, 3.6, 0.6], [2.2, −2.4, −6.4]]; ∂L/∂W = xᵀ·2y; ∂L/∂b = Σ_rows 2y
    const dW = [
      [10.2 + 3 * 2.2, 3.6 - 3 * 2.4, 0.6 - 3 * 6.4],
      [2 * 10.2 - 2.2, 2 * 3.6 + 2.4, 2 * 0.6 + 6.4],
    ]; // [[16.8, −3.6, −18.6], [18.2, 9.6, 7.6]]
    const db = [12.4, 1.2, -5.8];
    const x = tf.tensor2d(X);
    const layer = handLayer();
    const loss = () => tf.sum(tf.square(layer.apply(x)));
    const { value, grads } = valueAndGrad<typeof layer.params>(loss)(layer.params);
    await expectClose(value, 5.1 ** 2 + 1.8 ** 2 + 0.3 ** 2 + 1.1 ** 2 + 1.2 ** 2 + 3.2 ** 2);
    await expectClose(grads.kernel, dW, { rtol: 1e-5, atol: 1e-5 });
    await expectClose(grads.bias, db, { rtol: 1e-5, atol: 1e-5 });
    const opt = new Optimizer(layer.params, sgd({ learningRate: 0.1 }));
    opt.step(grads);
    await expectClose(
      layer.params.kernel,
      W.map((r, i) => r.map((w, j) => w - 0.1 * (dW[i]?.[j] as number))),
      { rtol: 1e-5, atol: 1e-5 },
    );
    await expectClose(
      layer.params.bias,
      B.map((b, j) => b - 0.1 * (db[j] as number)),
      { rtol: 1e-5, atol: 1e-5 },
    );
    opt.dispose();
    const small = new Optimizer(layer.params, sgd({ learningRate: 0.01 })); // below 2/λmax of Σy²'s Hessian
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) losses.push(await small.minimize(loss));
    for (let i = 1; i < 5; i++) expect(losses[i]).toBeLessThan(losses[i - 1] as number);
    tf.dispose([x, value, grads]);
    small.dispose();
    layer.dispose();
  });

  it('leaks nothing over many forward passes and releases its variables on dispose', async () => {
    const x = tf.tensor2d(X);
    const layer = handLayer({ activation: 'relu' });
    await expectNoLeaks(
      () => {
        for (let i = 0; i < 50; i++) layer.apply(x).dispose();
      },
      { what: '50 forward passes' },
    );
    const before = tf.memory().numTensors;
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before - 2);
    layer.dispose(); // idempotent
    expect(() => layer.apply(x)).toThrow(/after dispose/);
    x.dispose();
  });

  it('says "call the factory" only for a factory passed uncalled; every other initializer error passes through unchanged', () => {
    const ok = { inFeatures: 2, outFeatures: 3 };
    const before = tf.memory().numTensors;
    // This library's factories, recognised before they are called (constant([2, 3]) would complain about its value).
    for (const factory of [heNormal, orthogonal, zeros, constantInit])
      expectHyperError(() => dense({ ...ok, kernelInitializer: factory as never }), 'kernelInitializer', new RegExp(`factory ${factory.name} itself`));
    expectHyperError(() => dense({ ...ok, biasInitializer: zeros as never }), 'biasInitializer', /call it, e\.g\. biasInitializer: zeros\(\)/);
    // Another factory is recognised by its rejecting the shape as its options.
    const myFactory = (options: object) => heNormal(options as never);
    expectHyperError(() => dense({ ...ok, kernelInitializer: myFactory as never }), 'kernelInitializer', /factory myFactory itself.*needs an options object/);
    // An initializer's own error keeps its type and field: heNormal() has no fans for the rank-1 bias.
    expectHyperError(() => dense({ ...ok, biasInitializer: heNormal({ seed: 1 }) }), 'shape', /rank ≥ 2/);
    // Any other error is rethrown as it is (the same object).
    const boom = new Error('No backend found in registry.');
    let thrown: unknown;
    try {
      dense({
        ...ok,
        kernelInitializer: () => {
          throw boom;
        },
      });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(boom);
    expect(thrown).not.toBeInstanceOf(HyperParameterError);
    expect(tf.memory().numTensors).toBe(before); // the kernel made before a failing bias initializer is released
  });

  it('null is not "the default": useBias, kernelInitializer, biasInitializer, activation, seed and name null are errors naming them', () => {
    const ok = { inFeatures: 2, outFeatures: 3 };
    const before = tf.memory().numTensors;
    for (const field of ['useBias', 'kernelInitializer', 'biasInitializer', 'activation', 'seed', 'name'])
      expectHyperError(() => dense({ ...ok, [field]: null } as never), field, /null/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options with a HyperParameterError naming the option, and bad inputs with a ValueError', () => {
    const ok = { inFeatures: 2, outFeatures: 3 };
    const before = tf.memory().numTensors;
    expectHyperError(() => dense({ ...ok, inFeatures: 2.5 }), 'inFeatures', /positive integer/);
    expectHyperError(() => dense({ ...ok, inFeatures: 0 }), 'inFeatures');
    expectHyperError(() => dense({ ...ok, outFeatures: Number.NaN }), 'outFeatures');
    expectHyperError(() => dense({ ...ok, outFeatures: '3' as never }), 'outFeatures');
    expectHyperError(() => dense({ ...ok, activation: 'relu7' }), 'activation', /relu7/);
    expectHyperError(() => dense({ ...ok, activation: 3 as never }), 'activation');
    expectHyperError(() => dense({ ...ok, useBias: 'yes' as never }), 'useBias');
    expectHyperError(() => dense({ ...ok, seed: 0.5 }), 'seed');
    expectHyperError(() => dense({ ...ok, kernelInitializer: 'glorot' as never }), 'kernelInitializer');
    expectHyperError(() => dense({ ...ok, kernelInitializer: (s) => tf.zeros([s[1] as number, s[0] as number]) }), 'kernelInitializer', /\[3, 2\]/);
    expectHyperError(() => dense({ ...ok, biasInitializer: (s) => tf.zeros([...s], 'int32') }), 'biasInitializer', /float32/);
    expectHyperError(() => dense(null as never), 'options');
    // A seed beside kernelInitializer would be ignored (the kernel would not be seeded): refused.
    expectHyperError(() => dense({ ...ok, seed: 1, kernelInitializer: (s) => tf.zeros([...s]) }), 'seed', /seed the initializer instead/);
    expectHyperError(() => dense({ ...ok, useBias: false, biasInitializer: zeros() }), 'biasInitializer', /ignored with useBias: false/);
    // PyTorch's and Keras's spellings are unknown options that point to gradkit's.
    expectHyperError(() => dense({ in_features: 2, outFeatures: 3 } as never), 'in_features', /did you mean 'inFeatures'\?/);
    expectHyperError(() => dense({ inFeatures: 2, units: 3 } as never), 'units', /did you mean 'outFeatures'\?/);
    expectHyperError(() => dense({ ...ok, bias: false } as never), 'bias', /did you mean 'useBias'\?/);
    expect(tf.memory().numTensors).toBe(before);
    const layer = dense({ ...ok, seed: 1 });
    const wrong = tf.zeros([4, 3]);
    expect(() => layer.apply(wrong)).toThrow(/inFeatures = 2.*\[4, 3\]/);
    expect(() => layer.apply([1, 2] as never)).toThrow(/tf\.Tensor/);
    expect(tf.memory().numTensors).toBe(before + 3);
    wrong.dispose();
    layer.dispose();
  });
});
