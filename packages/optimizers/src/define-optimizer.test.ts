import { HyperParameterError, Optimizer } from '@gradkit/core';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { defineOptimizer } from './define-optimizer.js';
import { optimizerFromConfig, optimizerNames } from './registry.js';

// Signum (Bernstein et al. 2018, signSGD with momentum): m ← βm + (1−β)g; θ ← θ − η·sign(m).
const signum = defineOptimizer({
  name: 'testSignum',
  defaults: { learningRate: 0.1, beta: 0.5 },
  ranges: { learningRate: { min: 0, minExclusive: true }, beta: { min: 0, max: 1, maxExclusive: true } },
  slots: ['m'],
  step: ({ grad, slots, hyper }) => {
    const m = tf.add(tf.mul(slots.m, hyper.beta), tf.mul(grad, 1 - hyper.beta));
    return { update: tf.mul(tf.sign(m), -hyper.learningRate), slots: { m } };
  },
});

describe('defineOptimizer', () => {
  it('runs the per-tensor rule over the tree (hand-worked Signum)', async () => {
    // g = [1, −3] every step: m₁ = [0.5, −1.5], m₂ = [0.75, −2.25]; sign(m) = [1, −1] each step.
    // A sign flip: g₃ = [−4, 0] → m₃ = [0.375 − 2, −1.125] = [−1.625, −1.125]; sign = [−1, −1].
    const params = { w: tf.variable(tf.tensor1d([0, 0])) };
    const opt = new Optimizer(params, signum());
    const g = { w: tf.tensor1d([1, -3]) };
    opt.step(g);
    opt.step(g);
    await expectClose(params.w, [-0.2, 0.2]);
    const g3 = { w: tf.tensor1d([-4, 0]) };
    opt.step(g3);
    await expectClose(params.w, [-0.1, 0.3]);
    expect((await opt.saveState()).state.count).toBe(3);
    opt.dispose();
    tf.dispose([params.w, g.w, g3.w]);
  });

  it('accepts schedules, validates options, rejects unknown ones', () => {
    expect(signum({ learningRate: (t) => 0.1 / (1 + t) }).hyperParams?.(1).learningRate).toBeCloseTo(0.05, 12);
    expect(() => signum({ beta: 1 })).toThrow(HyperParameterError);
    expect(() => signum({ beta: 1 })).toThrow(/beta must be in \[0, 1\), got 1/);
    expect(() => signum({ momentum: 0.9 } as never)).toThrow(/testSignum: unknown option 'momentum'; valid options: learningRate, beta/);
    expect(() => signum({ lr: 0.9 } as never)).toThrow(/did you mean 'learningRate'/);
  });

  it('registers the optimizer by name for optimizerFromConfig', () => {
    expect(optimizerNames()).toContain('testSignum');
    const tx = optimizerFromConfig({ name: 'testSignum', learningRate: 0.3 });
    expect(tx.name).toBe('testSignum');
    expect(tx.options).toEqual({ learningRate: 0.3, beta: 0.5 });
  });

  it('leaks nothing over 200 steps', async () => {
    const params = { w: tf.variable(tf.tensor2d([[1, 2]])) };
    const g = { w: tf.tensor2d([[0.5, -0.5]]) };
    await expectNoLeaks(() => {
      const opt = new Optimizer(params, signum());
      for (let i = 0; i < 200; i++) opt.step(g);
      opt.dispose();
    });
    tf.dispose([params.w, g.w]);
  });
});

describe('optimizerFromConfig', () => {
  it('lists the known names when the name is unknown', () => {
    expect(() => optimizerFromConfig({ name: 'adamz' })).toThrow(HyperParameterError);
    expect(() => optimizerFromConfig({ name: 'adamz' })).toThrow(/unknown transformation 'adamz' at 'config.name' .*known: .*testSignum/);
  });
});
