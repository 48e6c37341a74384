import { findFusedKernel, Optimizer, unregisterFusedKernel } from '@gradkit/core';
import { currentBackend, expectClose, expectNoLeaks } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yogi } from './yogi.js';
import { registerYogiKernel } from './yogi-kernel.js';
import { trainWithYogi } from './yogi-usage.js';

/** optax's scale_by_yogi + scale_by_learning_rate (optax/_src/transform.py), scalars in float64. */
function optaxYogi(theta0: number[], a: number[], lr: number, steps: number, b1 = 0.9, b2 = 0.999, eps = 1e-3): number[] {
  const theta = [...theta0];
  const m = theta.map(() => 0);
  const v = theta.map(() => 1e-6);
  for (let t = 1; t <= steps; t++)
    theta.forEach((th, i) => {
      const g = 2 * (a[i] as number) * th; // ∂/∂θ Σ aθ²
      m[i] = b1 * (m[i] as number) + (1 - b1) * g;
      v[i] = (v[i] as number) - (1 - b2) * Math.sign((v[i] as number) - g * g) * g * g;
      theta[i] = th - (lr * ((m[i] as number) / (1 - b1 ** t))) / (Math.sqrt((v[i] as number) / (1 - b2 ** t)) + eps);
    });
  return theta;
}

const A = [0.5, 1.5, 0.25, 3, 1];
const THETA0 = [1, -2, 0.5, 0.25, -1];
const loss = (p: { w: tf.Variable }) => tf.sum(tf.mul(tf.tensor1d(A), tf.square(p.w)));

beforeAll(registerYogiKernel);
afterAll(() => unregisterFusedKernel('YogiCpu', 'cpu')); // tests share a module graph: put the registry back

describe('guide: a fused kernel for Yogi', () => {
  it('runs on cpu (and only there), and follows optax.yogi like the reference path', async () => {
    const shared = tf.tensor1d(THETA0);
    const params = { w: tf.variable(shared) }; // shares its buffer with `shared`: the runner copies before writing
    const opt = new Optimizer(params, yogi({ learningRate: 0.05 }));
    for (let t = 0; t < 8; t++) await opt.minimize(loss);
    expect(opt.lastStepPath).toBe(currentBackend() === 'cpu' ? 'fused:YogiCpu' : 'reference');
    await expectClose(params.w, optaxYogi(THETA0, A, 0.05, 8));
    await expectClose(shared, THETA0); // copy-on-write kept the source tensor intact
    expect(findFusedKernel(['yogi'], [yogi().options], 'cpu')?.kernelName).toBe('YogiCpu');
    opt.dispose();
    tf.dispose([shared, params.w]);
  });

  it('gives the same numbers as the reference path ({ fused: false })', async () => {
    const a = { w: tf.variable(tf.tensor1d(THETA0)) };
    const b = { w: tf.variable(tf.tensor1d(THETA0)) };
    const fused = new Optimizer(a, yogi({ learningRate: 0.05 }));
    const reference = new Optimizer(b, yogi({ learningRate: 0.05 }), { fused: false });
    for (let t = 0; t < 8; t++) {
      await fused.minimize(loss);
      await reference.minimize(loss);
    }
    expect(reference.lastStepPath).toBe('reference');
    await expectClose(a.w, await b.w.data(), { rtol: 1e-6 });
    fused.dispose();
    reference.dispose();
    tf.dispose([a.w, b.w]);
  });

  it('behind clipByGlobalNorm(1) the chain no longer matches the pattern: the reference path trains it', async () => {
    const params = { w: tf.variable(tf.tensor1d(THETA0)) };
    let last = 0;
    await expectNoLeaks(async () => {
      last = await trainWithYogi(params, loss, 30);
    });
    expect(last).toBeLessThan(A.reduce((s, a, i) => s + a * (THETA0[i] as number) ** 2, 0));
    params.w.dispose();
  });
});
