import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { grad, valueAndGrad } from './autograd.js';
import { ValueError } from './errors.js';

// Expected values are the hand-worked derivatives, evaluated in float64 in JavaScript.
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('valueAndGrad', () => {
  it('d/dw Σ w² = 2w', async () => {
    const w = tf.tensor1d([1, -2, 3.5]);
    const { value, grads } = valueAndGrad((p: { w: tf.Tensor }) => tf.sum(tf.square(p.w)))({ w });
    await expectClose(value, 1 + 4 + 12.25);
    await expectClose(grads.w as tf.Tensor, [2, -4, 7]);
    tf.dispose([w, value, grads.w as tf.Tensor]);
  });

  it('d/dw Σ σ(w²) = 2w σ(w²)(1 − σ(w²))', async () => {
    const xs = [0.5, -1, 2];
    const w = tf.tensor1d(xs);
    const g = grad((p: tf.Tensor) => tf.sum(tf.sigmoid(tf.square(p))))(w) as tf.Tensor;
    await expectClose(
      g,
      xs.map((x) => 2 * x * sigmoid(x * x) * (1 - sigmoid(x * x))),
    );
    tf.dispose([w, g]);
  });

  it('dense layer: L = Σ (xW + b) gives dW = xᵀ1, db = n·1', async () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const params = { W: tf.zeros([2, 4]), b: tf.zeros([4]) };
    const g = grad((p: typeof params) => tf.sum(tf.add(tf.matMul(x, p.W), p.b)))(params) as { W: tf.Tensor; b: tf.Tensor };
    // column sums of x: 1+3+5 = 9, 2+4+6 = 12
    await expectClose(g.W, [
      [9, 9, 9, 9],
      [12, 12, 12, 12],
    ]);
    await expectClose(g.b, [3, 3, 3, 3]);
    tf.dispose([x, params.W, params.b, g.W, g.b]);
  });

  it('mean squared error of tanh(x·w): dL/dw = (2/n) Σ (tanh(x_i w) − y_i)(1 − tanh²(x_i w)) x_i', async () => {
    const xs = [0.2, -0.7, 1.3, 0.05];
    const ys = [0.1, -0.4, 0.9, 0];
    const w0 = 0.8;
    const expected = (2 / xs.length) * xs.reduce((s, x, i) => s + (Math.tanh(x * w0) - (ys[i] as number)) * (1 - Math.tanh(x * w0) ** 2) * x, 0);
    const loss0 = xs.reduce((s, x, i) => s + (Math.tanh(x * w0) - (ys[i] as number)) ** 2, 0) / xs.length;
    const x = tf.tensor1d(xs);
    const y = tf.tensor1d(ys);
    const w = tf.variable(tf.scalar(w0));
    const { value, grads } = valueAndGrad((p: { w: tf.Tensor }) => tf.mean(tf.square(tf.sub(tf.tanh(tf.mul(x, p.w)), y))))({ w });
    await expectClose(value, loss0);
    await expectClose(grads.w as tf.Tensor, expected);
    tf.dispose([x, y, w, value, grads.w as tf.Tensor]);
  });

  it('gives zero gradients to leaves the value does not depend on (as JAX)', async () => {
    const params = { used: tf.tensor1d([1, 2]), unused: tf.tensor2d([[1, 2]]) };
    const g = grad((p: typeof params) => tf.sum(p.used))(params) as { used: tf.Tensor; unused: tf.Tensor };
    await expectClose(g.used, [1, 1]);
    await expectClose(g.unused, [[0, 0]]);
    tf.dispose([params.used, params.unused, g.used, g.unused]);
  });

  it('works through nested trees of arrays and objects', async () => {
    const params = { layers: [{ w: tf.scalar(2) }, { w: tf.scalar(3) }] };
    // L = w0² · w1 → dL/dw0 = 2 w0 w1 = 12, dL/dw1 = w0² = 4
    const g = grad((p: typeof params) => tf.mul(tf.square(p.layers[0]!.w), p.layers[1]!.w))(params) as { layers: { w: tf.Tensor }[] };
    await expectClose(g.layers[0]!.w, 12);
    await expectClose(g.layers[1]!.w, 4);
    tf.dispose([params.layers[0]!.w, params.layers[1]!.w, g.layers[0]!.w, g.layers[1]!.w]);
  });

  it('leaks no tensors: only the value and the gradients survive', async () => {
    const w = tf.tensor1d([1, 2, 3]);
    await expectNoLeaks(() => {
      const { value, grads } = valueAndGrad((p: { w: tf.Tensor }) => tf.sum(tf.exp(tf.mul(p.w, 2))))({ w });
      tf.dispose([value, grads.w as tf.Tensor]);
    });
    w.dispose();
  });

  it('rejects a loss that is not a scalar, naming the shape', () => {
    const w = tf.tensor1d([1, 2]);
    const before = tf.memory().numTensors;
    expect(() => valueAndGrad((p: { w: tf.Tensor }) => tf.mul(p.w, 2))({ w })).toThrow(ValueError);
    expect(() => valueAndGrad((p: { w: tf.Tensor }) => tf.mul(p.w, 2))({ w })).toThrow(/scalar tensor, got shape \[2\]/);
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });

  it('leaks nothing when the loss function itself throws midway', () => {
    const w = tf.tensor1d([1, 2]);
    const before = tf.memory().numTensors;
    const failing = (p: { w: tf.Tensor }) => {
      tf.sigmoid(tf.mul(p.w, p.w));
      throw new Error('user bug');
    };
    expect(() => valueAndGrad(failing)({ w })).toThrow('user bug');
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });

  it('rejects leaves that are not float32 tensors, naming the path', () => {
    expect(() => grad(() => tf.scalar(0))({ a: { b: 3 as unknown as tf.Tensor } })).toThrow(/parameter 'a\.b' is number/);
    const i = tf.tensor1d([1], 'int32');
    expect(() => grad(() => tf.scalar(0))({ i })).toThrow(/'i' has dtype int32/);
    expect(() => grad(() => tf.scalar(0))({})).toThrow(/no tensors/);
    i.dispose();
  });
});
