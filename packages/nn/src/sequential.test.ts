import { assertSameStructure, type Module, Optimizer, type ParamTree, paths, UnknownOptionError, valueAndGrad, zip } from '@gradkit/core';
import type { Initializer } from '@gradkit/initializers';
import { BatchNorm } from '@gradkit/normalization';
import { adam, sgd } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { act } from './act.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { residual } from './residual.js';
import { sequential } from './sequential.js';
import { affine, expectHyperError, variable, withSmallOutputMatMul } from './test-support.js';

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

  it('leaks nothing over 100 training steps with the Optimizer', () =>
    withSmallOutputMatMul(async () => {
      const steps = 100;
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
    }));

  it('rejects an empty list, non-modules and a module used twice, naming the argument', () => {
    expectHyperError(() => sequential(), 'modules');
    expectHyperError(() => sequential(act('relu'), {} as never), 'modules[1]', /Module/);
    const r = act('relu');
    expectHyperError(() => sequential(r, r), 'modules[1]', /twice/);
  });
});

/** A net with BatchNorm at the top level and inside a residual block, built the same way for every seed. */
const bnNet = () =>
  sequential(
    dense({ inFeatures: 3, outFeatures: 4, seed: 11 }),
    BatchNorm({ features: 4 }),
    act('relu'),
    residual(sequential(dense({ inFeatures: 4, outFeatures: 4, seed: 12 }), BatchNorm({ features: 4, momentum: null }))),
    dense({ inFeatures: 4, outFeatures: 1, seed: 13 }),
  );

/** Copies every leaf of `from` into `to` with assign, pairing them by path (a checkpoint restore). */
function restore(to: ParamTree, from: ParamTree): void {
  for (const { a, b } of zip(to, from)) (a as tf.Variable).assign(b);
}

/** The bytes of every leaf of a tree, by path. */
async function bytesOf(tree: ParamTree): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const { path, a } of zip(tree, tree)) out[path] = Array.from(await a.data());
  return out;
}

describe('sequential buffers (checkpoints)', () => {
  it("gathers the children's buffers keyed like params: BatchNorm's at its index, nested ones under inner", () => {
    const net = bnNet();
    expect(paths(net.buffers)).toEqual([
      '1.runningMean',
      '1.runningVar',
      '1.numBatchesTracked',
      '3.inner.1.runningMean',
      '3.inner.1.runningVar',
      '3.inner.1.numBatchesTracked',
    ]);
    expect(net.buffers.length).toBe(net.params.length);
    expect((net.buffers[1] as Record<string, tf.Variable>).runningMean).toBe((net.layers[1] as BatchNorm).runningMean);
    expect(net.buffers[0]).toEqual({});
    // The same container keys as params: only the leaves differ.
    expect(Object.keys(net.buffers[3] as object)).toEqual(Object.keys(net.params[3] as object));
    net.dispose();
  });

  it('restoring params and buffers into a fresh model gives bit-identical outputs in eval mode, and training continues bit for bit', async () => {
    const x = tf.tensor2d([0.5, -1, 2, 1, 0, -0.5, -2, 1.5, 0.25, 3, -1, 1], [4, 3]);
    const target = tf.tensor2d([[1], [-1], [0.5], [2]]);
    const loss = (net: ReturnType<typeof bnNet>) => () => tf.losses.meanSquaredError(target, net.apply(x));
    const trained = bnNet();
    const opt = new Optimizer(trained.params, sgd({ learningRate: 0.05 }));
    for (let i = 0; i < 3; i++) await opt.minimize(loss(trained));

    const fresh = bnNet();
    const evalOf = (net: ReturnType<typeof bnNet>) => tf.tidy(() => net.apply(x, { training: false }));
    const before = [evalOf(trained), evalOf(fresh)];
    restore(fresh.params, trained.params);
    // Parameters alone are not enough: the running statistics differ, so inference differs.
    const paramsOnly = evalOf(fresh);
    expect(Array.from(await paramsOnly.data())).not.toEqual(Array.from(await (before[0] as tf.Tensor).data()));
    restore(fresh.buffers, trained.buffers);
    const restored = evalOf(fresh);
    expect(Array.from(await restored.data())).toEqual(Array.from(await (before[0] as tf.Tensor).data()));

    // Two more training steps on both (plain SGD keeps no state): parameters and buffers stay bit-identical,
    // the cumulative average (momentum null) included, which reads the restored batch count.
    const freshOpt = new Optimizer(fresh.params, sgd({ learningRate: 0.05 }));
    for (let i = 0; i < 2; i++) {
      await opt.minimize(loss(trained));
      await freshOpt.minimize(loss(fresh));
    }
    assertSameStructure(fresh.buffers, trained.buffers);
    expect(await bytesOf(fresh.buffers)).toEqual(await bytesOf(trained.buffers));
    expect(await bytesOf(fresh.params)).toEqual(await bytesOf(trained.params));
    tf.dispose([x, target, ...before, paramsOnly, restored]);
    opt.dispose();
    freshOpt.dispose();
    trained.dispose();
    fresh.dispose();
  });

  it("rejects an unknown apply option ({ train: false } would run in training mode) and an array of modules (Keras's list)", () => {
    const net = sequential(dense({ inFeatures: 2, outFeatures: 1, seed: 1 }));
    const x = tf.ones([1, 2]);
    expect(() => net.apply(x, { train: false } as never)).toThrow(UnknownOptionError);
    expect(() => net.apply(x, { train: false } as never)).toThrow(/unknown option 'train'.*valid options: training/);
    expectHyperError(() => sequential([act('relu'), act('tanh')] as never), 'modules', /not an array/);
    x.dispose();
    net.dispose();
  });
});
