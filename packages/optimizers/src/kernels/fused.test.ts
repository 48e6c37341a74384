import { Optimizer } from '@gradkit/core';
import { currentBackend, expectClose, expectFusedParity, expectNoLeaks, spread } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adam, adamw, adopt, lion, rmsprop, sgd } from '../index.js';
import { fusedKernelName } from './register.js';

// Every fused rule of every backend against the reference path (the transformations' tf ops, which
// the optimizers' own tests check against float64 transcriptions of PyTorch/optax). Chains that start
// with clipByGlobalNorm or sit inside applyIfFinite are tested in @gradkit/clipping.
export const RULE_CASES = [
  ['sgd', 'momentum + dampening', () => sgd({ learningRate: 0.05, momentum: 0.9, dampening: 0.1 })],
  ['sgd', 'nesterov + weight decay', () => sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 })],
  ['adam', 'defaults, lr 0.01', () => adam({ learningRate: 0.01 })],
  ['adam', 'amsgrad + L2 weight decay', () => adam({ learningRate: 0.01, amsgrad: true, weightDecay: 0.1, beta2: 0.9 })],
  ['adamw', 'decoupled weight decay', () => adamw({ learningRate: 0.01, weightDecay: 0.1 })],
  [
    'adamw',
    'amsgrad, scheduled lr and beta1',
    () => adamw({ learningRate: (t: number) => 0.02 / (1 + t), beta1: (t: number) => 0.8 + 0.01 * t, amsgrad: true }),
  ],
  ['rmsprop', 'defaults, lr 0.01', () => rmsprop({ learningRate: 0.01 })],
  ['rmsprop', 'centered + momentum + weight decay', () => rmsprop({ learningRate: 0.01, centered: true, momentum: 0.9, weightDecay: 0.01 })],
  ['lion', 'defaults, lr 0.01', () => lion({ learningRate: 0.01 })],
  ['lion', 'weight decay', () => lion({ learningRate: 0.01, weightDecay: 0.5, beta1: 0.5 })],
  ['adopt', 'defaults, lr 0.01 (clipped at count^¼)', () => adopt({ learningRate: 0.01 })],
  ['adopt', 'nesterov + weight decay, β₂ 0.9', () => adopt({ learningRate: 0.01, nesterov: true, weightDecay: 0.1, beta2: 0.9 })],
  [
    'adopt',
    'no clipping, scheduled lr and beta1',
    () => adopt({ learningRate: (t: number) => 0.02 / (1 + t), beta1: (t: number) => 0.8 + 0.01 * t, useClipping: false }),
  ],
] as const;

describe(`fused optimizer rules on ${currentBackend()}`, () => {
  for (const [rule, what, make] of RULE_CASES) {
    it(`${rule} (${what}): parameters and state match the reference path step by step`, async () => {
      expect(await expectFusedParity(make)).toBe(`fused:${fusedKernelName([], rule)}`);
    });
  }

  it("a parameter longer than the cpu step's 32768-element chunks (70001: two whole chunks and a tail)", async () => {
    const shapes = [[70001], [3]];
    expect(await expectFusedParity(() => rmsprop({ learningRate: 0.01, momentum: 0.9 }), { shapes, steps: 2 })).toBe('fused:GradkitRmsprop');
    expect(await expectFusedParity(() => adamw({ learningRate: 0.01 }), { shapes, steps: 2 })).toBe('fused:GradkitAdamw');
  });

  it('plain sgd: bit-identical to the reference on cpu and wasm (they round op by op like it)', async () => {
    const tolerance = currentBackend() === 'webgpu' ? {} : { rtol: 0, atol: 0 };
    expect(await expectFusedParity(() => sgd({ learningRate: 0.05, weightDecay: 0.01 }), { tolerance })).toBe('fused:GradkitSgd');
  });

  it('a NaN gradient element poisons only its own parameter element, as in the reference', async () => {
    const grad = (step: number, k: number, n: number) => {
      const g = spread(n, 100 * step + k);
      if (k === 3 && step === 1) g[2] = Number.NaN;
      return g;
    };
    expect(await expectFusedParity(() => adam({ learningRate: 0.01 }), { grad })).toBe('fused:GradkitAdam');
  });

  it("adopt with NaN gradients: the clip treats NaN as each backend's tf.clipByValue does (zeros at the first step)", async () => {
    const grad = (step: number, k: number, n: number) => {
      const g = spread(n, 100 * step + k);
      if (k === 4 && (step === 0 || step === 2)) g[5] = Number.NaN;
      if (k === 3 && step === 1) g[0] = Number.NaN;
      return g;
    };
    expect(await expectFusedParity(() => adopt({ learningRate: 0.01 }), { grad })).toBe('fused:GradkitAdopt');
  });

  it('copies a shared buffer before writing in place (copy-on-write), for parameters and slots', async () => {
    const source = tf.tensor1d([1, 2, 3]);
    const params = { w: tf.variable(source) };
    const opt = new Optimizer(params, sgd({ learningRate: 0.5, momentum: 0.5 }));
    const g = { w: tf.tensor1d([1, 1, 1]) };
    opt.step(g);
    opt.step(g);
    expect(opt.lastStepPath).toBe('fused:GradkitSgd');
    // b₁ = g = 1 → w = w − 0.5; b₂ = 0.5·1 + 1 = 1.5 → w = w − 0.75
    await expectClose(params.w, [-0.25, 0.75, 1.75]);
    await expectClose(source, [1, 2, 3]);
    opt.dispose();
    tf.dispose([source, params.w, g.w]);
  });

  it('copy-on-write: two variables made from one tensor, and a clone of a parameter, keep their own values', async () => {
    const source = tf.tensor1d([1, 2, 3]);
    const params = { a: tf.variable(source), b: tf.variable(source) };
    const snapshot = tf.clone(params.a);
    const opt = new Optimizer(params, adam({ learningRate: 0.1 }));
    const g = { a: tf.tensor1d([1, -1, 1]), b: tf.tensor1d([-1, 1, 0]) };
    opt.step(g);
    expect(opt.lastStepPath).toBe('fused:GradkitAdam');
    // Adam's first step moves each element by −lr·sign(g) (ε-close)
    await expectClose(params.a, [0.9, 2.1, 2.9], { rtol: 1e-6 });
    await expectClose(params.b, [1.1, 1.9, 3], { rtol: 1e-6 });
    await expectClose(source, [1, 2, 3]);
    await expectClose(snapshot, [1, 2, 3]);
    opt.dispose();
    tf.dispose([source, snapshot, params.a, params.b, g.a, g.b]);
  });

  it('saved state continues exactly on either path (counts advance on the fused path)', async () => {
    const make = () => ({ w: tf.variable(tf.tensor1d(spread(9, 1))) });
    const g = { w: tf.tensor1d(spread(9, 2)) };
    const [a, b] = [make(), make()];
    const straight = new Optimizer(a, adamw({ learningRate: 0.1 }));
    const first = new Optimizer(b, adamw({ learningRate: 0.1 }));
    for (let t = 0; t < 3; t++) for (const o of [straight, first]) o.step(g);
    const saved = JSON.parse(JSON.stringify(await first.saveState()));
    expect(saved.state.count).toBe(3);
    first.dispose();
    const second = new Optimizer(b, adamw({ learningRate: 0.1 }), { fused: false });
    second.loadState(saved);
    for (let t = 0; t < 3; t++) for (const o of [straight, second]) o.step(g);
    await expectClose(b.w, a.w, { rtol: 1e-5 });
    straight.dispose();
    second.dispose();
    tf.dispose([a.w, b.w, g.w]);
  });

  it('leaks no tensors over 500 fused steps', async () => {
    const params = { a: tf.variable(tf.ones([33])), b: tf.variable(tf.scalar(1)) };
    const g = { a: tf.fill([33], 0.1), b: tf.scalar(-0.2) };
    await expectNoLeaks(async () => {
      for (const make of [() => adam({ learningRate: 1e-3, amsgrad: true }), () => rmsprop({ centered: true, momentum: 0.5 })]) {
        const opt = new Optimizer(params, make());
        for (let t = 0; t < 500; t++) opt.step(g);
        expect(opt.lastStepPath).toMatch(/^fused:/);
        await params.a.data();
        opt.dispose();
      }
    });
    tf.dispose([params.a, params.b, g.a, g.b]);
  });
});
