import { type Module, Optimizer, paths, valueAndGrad } from '@gradkit/core';
import type { Initializer } from '@gradkit/initializers';
import { adam } from '@gradkit/optimizers';
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { act } from './act.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { sequential } from './sequential.js';
import { affine, expectHyperError, variable } from './test-support.js';

const constant =
  (values: number[][] | number[]): Initializer =>
  (shape) =>
    tf.tensor(values.flat(), [...shape]);
const W1 = [
  [0.5, -1],
  [1, 2],
];
const B1 = [0, 0.5];
const W2 = [[1], [-1]];
const B2 = [0.25];

/** A module from "another package": y = s·x, with a mode flag, to check that sequential accepts any Module. */
function scaleModule(s: number): Module<{ s: tf.Variable }> & { disposed: boolean } {
  const m = {
    name: 'scale',
    params: { s: variable(() => tf.scalar(s)) },
    training: true,
    disposed: false,
    apply: (x: tf.Tensor) => tf.mul(x, m.params.s),
    train() {
      m.training = true;
      return m;
    },
    eval() {
      m.training = false;
      return m;
    },
    dispose() {
      m.disposed = true;
      m.params.s.dispose();
    },
  };
  return m;
}

describe('sequential', () => {
  it('composes its modules input to output (against a float64 reference)', async () => {
    const X = [
      [1, -1],
      [0.5, 2],
      [-3, 0],
    ];
    const net = sequential(
      dense({ inFeatures: 2, outFeatures: 2, kernelInitializer: constant(W1), biasInitializer: constant(B1) }),
      act('relu'),
      dense({ inFeatures: 2, outFeatures: 1, kernelInitializer: constant(W2), biasInitializer: constant(B2) }),
    );
    const h = affine(X, W1, B1).map((r) => r.map((v) => Math.max(0, v)));
    const expected = affine(h, W2, B2);
    const x = tf.tensor2d(X);
    const y = net.apply(x);
    await expectClose(y, expected);
    expect(net.layers.length).toBe(3);
    tf.dispose([x, y]);
    net.dispose();
  });

  it('keys parameters by index so paths read 0.kernel …, flattening input to output', () => {
    const net = sequential(
      dense({ inFeatures: 3, outFeatures: 4, seed: 1 }),
      act('relu'),
      dropout(0.1, { seed: 1 }),
      dense({ inFeatures: 4, outFeatures: 2, useBias: false, seed: 2 }),
    );
    expect(paths(net.params)).toEqual(['0.kernel', '0.bias', '3.kernel']);
    expect(net.params[0].kernel.shape).toEqual([3, 4]);
    expect(net.params[3].kernel.shape).toEqual([4, 2]);
    expect(net.params[1]).toEqual({});
    const nested = sequential(net, dense({ inFeatures: 2, outFeatures: 1, seed: 3 }));
    expect(paths(nested.params)).toEqual(['0.0.kernel', '0.0.bias', '0.3.kernel', '1.kernel', '1.bias']);
    nested.dispose();
  });

  it('works with valueAndGrad and the Optimizer (gradients by the chain rule, and it trains)', async () => {
    // y = (x·W1 + b1)·W2 + b2 (no activation) with L = Σ y: ∂L/∂W2 = Σ_rows h, ∂L/∂b2 = rows, ∂L/∂W1 = xᵀ·1·W2ᵀ
    const X = [
      [1, 2],
      [3, 4],
    ];
    const net = sequential(
      dense({ inFeatures: 2, outFeatures: 2, kernelInitializer: constant(W1), biasInitializer: constant(B1) }),
      dense({ inFeatures: 2, outFeatures: 1, kernelInitializer: constant(W2), biasInitializer: constant(B2) }),
    );
    const x = tf.tensor2d(X);
    const { value, grads } = valueAndGrad((_: typeof net.params) => tf.sum(net.apply(x)))(net.params);
    const h = affine(X, W1, B1);
    await expectClose(
      value,
      affine(h, W2, B2)
        .flat()
        .reduce((s, v) => s + v, 0),
    );
    await expectClose(grads[1].kernel, [[h[0]![0]! + h[1]![0]!], [h[0]![1]! + h[1]![1]!]]);
    await expectClose(grads[1].bias, [2]);
    const colSum = [X[0]![0]! + X[1]![0]!, X[0]![1]! + X[1]![1]!]; // xᵀ·1
    await expectClose(
      grads[0].kernel,
      colSum.map((c) => [c * W2[0]![0]!, c * W2[1]![0]!]),
    );
    await expectClose(grads[0].bias, [2 * W2[0]![0]!, 2 * W2[1]![0]!]);
    tf.dispose([value, grads]);

    const target = tf.tensor2d([[1], [-1]]);
    const opt = new Optimizer(net.params, adam({ learningRate: 0.05 }));
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) losses.push(await opt.minimize(() => tf.losses.meanSquaredError(target, net.apply(x))));
    expect(losses[19]).toBeLessThan(losses[0]! / 4);
    opt.dispose();
    tf.dispose([x, target]);
    net.dispose();
  });

  it('accepts any Module, and propagates train()/eval()/dispose() to every child', async () => {
    const foreign = scaleModule(3);
    const drop = dropout(0.5, { seed: 1 });
    const inner = sequential(drop);
    const net = sequential(foreign, inner);
    expect(paths(net.params)).toEqual(['0.s']);
    expect(net.eval()).toBe(net);
    expect([net.training, foreign.training, inner.training, drop.training]).toEqual([false, false, false, false]);
    const x = tf.tensor1d([1, 2]);
    const y = net.apply(x); // eval: dropout is the identity
    await expectClose(y, [3, 6]);
    net.train();
    expect([net.training, foreign.training, inner.training, drop.training]).toEqual([true, true, true, true]);
    const yEvalOverride = net.apply(x, { training: false });
    await expectClose(yEvalOverride, [3, 6]);
    net.dispose();
    expect(foreign.disposed).toBe(true);
    expect(foreign.params.s.isDisposed).toBe(true);
    expect(() => net.apply(x)).toThrow(/after dispose/);
    tf.dispose([x, y, yEvalOverride]);
  });

  it('leaks nothing over many training steps with the Optimizer', async () => {
    const steps = currentBackend() === 'webgpu' ? 10 : 100; // SwiftShader is slow
    const net = sequential(
      dense({ inFeatures: 4, outFeatures: 8, activation: 'relu', seed: 1 }),
      dropout(0.2, { seed: 2 }),
      dense({ inFeatures: 8, outFeatures: 1, seed: 3 }),
    );
    const x = tf.randomNormal([16, 4], 0, 1, 'float32', 1);
    const y = tf.randomNormal([16, 1], 0, 1, 'float32', 2);
    const opt = new Optimizer(net.params, adam({ learningRate: 1e-2 }));
    await opt.minimize(() => tf.losses.meanSquaredError(y, net.apply(x))); // warm up lazily created state
    await expectNoLeaks(
      async () => {
        for (let i = 0; i < steps; i++) await opt.minimize(() => tf.losses.meanSquaredError(y, net.apply(x)));
      },
      { what: `${steps} steps` },
    );
    opt.dispose();
    net.dispose();
    tf.dispose([x, y]);
  });

  it('rejects an empty list, non-modules and a module used twice, naming the argument', () => {
    expectHyperError(() => sequential(), 'modules');
    expectHyperError(() => sequential(act('relu'), {} as never), 'modules[1]', /Module/);
    const r = act('relu');
    expectHyperError(() => sequential(r, r), 'modules[1]', /twice/);
  });
});
