import { readFileSync } from 'node:fs';
import { Optimizer } from '@gradkit/core';
import { optimizerFromConfig } from '@gradkit/optimizers';
import { expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { yogi } from './yogi.js';

/**
 * Independent reference: optax's scale_by_yogi (optax/_src/transform.py) followed by
 * scale_by_learning_rate, transcribed for scalars in float64. Gradients of f(θ) = Σ aᵢθᵢ² + bᵢθᵢ.
 */
function optaxYogi(theta0: number[], a: number[], b: number[], lr: number, steps: number, b1 = 0.9, b2 = 0.999, eps = 1e-3): number[] {
  const theta = [...theta0];
  const m = theta.map(() => 0);
  const v = theta.map(() => 1e-6);
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < theta.length; i++) {
      const g = 2 * (a[i] as number) * (theta[i] as number) + (b[i] as number);
      m[i] = b1 * (m[i] as number) + (1 - b1) * g;
      v[i] = (v[i] as number) - (1 - b2) * Math.sign((v[i] as number) - g * g) * g * g;
      const mHat = (m[i] as number) / (1 - b1 ** t);
      const vHat = (v[i] as number) / (1 - b2 ** t);
      theta[i] = (theta[i] as number) - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  }
  return theta;
}

const A = [0.5, 1.5, 0.25];
const B = [0.1, -0.3, 0.2];
const THETA0 = [1, -2, 0.5];
const loss = (p: { w: tf.Tensor }) => tf.sum(tf.add(tf.mul(tf.tensor1d(A), tf.square(p.w)), tf.mul(tf.tensor1d(B), p.w)));

describe('guide: write your own optimizer (Yogi)', () => {
  it('follows optax.yogi step for step', async () => {
    const params = { w: tf.variable(tf.tensor1d(THETA0)) };
    const opt = new Optimizer(params, yogi({ learningRate: 0.05 }));
    for (let t = 0; t < 8; t++) await opt.minimize(loss);
    await expectClose(params.w, optaxYogi(THETA0, A, B, 0.05, 8));
    opt.dispose();
    params.w.dispose();
  });

  it('is registered by name and leaks nothing', async () => {
    expect(optimizerFromConfig({ name: 'yogi', learningRate: 0.1 }).options).toMatchObject({ learningRate: 0.1, epsilon: 1e-3 });
    const params = { w: tf.variable(tf.tensor1d(THETA0)) };
    await expectNoLeaks(async () => {
      const opt = new Optimizer(params, yogi());
      for (let t = 0; t < 200; t++) await opt.minimize(loss);
      opt.dispose();
    });
    params.w.dispose();
  });

  it('is the code the guide shows, verbatim', () => {
    const guide = readFileSync(new URL('../custom-optimizer.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('./yogi.ts', import.meta.url), 'utf8').trim();
    expect(guide).toContain(code);
    expect(code.split('\n').length).toBeLessThanOrEqual(40);
  });
});
