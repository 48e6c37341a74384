import { Optimizer } from '@gradkit/core';
import { currentBackend, expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type LionOptions, lion } from './index.js';
import { at, badHyperTests, badOptions, type Flat, gradOf, leakTest, MAIN, needsParamsTest, perLeaf, roundTripTest, trajectoryTests } from './test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: "optax's" };

/**
 * Independent reference: optax's `lion` (optax/_src/alias.py: chain(scale_by_lion(b1, b2),
 * add_decayed_weights(weight_decay), scale_by_learning_rate(lr))), with `scale_by_lion`
 * (optax/_src/transform.py, mode 'hard'): u = sign((1 − b1)·g + b1·mu); mu = (1 − b2)·g + b2·mu;
 * then u = u + wd·param; u = −lr·u (Chen et al. 2023, Algorithm 2). Transcribed per element in
 * float64; schedules are evaluated at the step index t (0-based), as optax's schedules at `count`.
 * Also returns the smallest |interpolation| seen, so the test can check that float32 rounding
 * cannot flip a sign.
 */
function optaxLion(o: LionOptions, steps: number): { theta: Flat; minAbs: number } {
  let minAbs = Number.POSITIVE_INFINITY;
  const theta = perLeaf(MAIN, (leaf) => {
    const theta = [...leaf.theta0];
    const mu = theta.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const [lr, b1, b2, wd] = [at(o.learningRate, t, 1e-4), at(o.beta1, t, 0.9), at(o.beta2, t, 0.99), at(o.weightDecay, t, 0)];
      for (let i = 0; i < theta.length; i++) {
        const param = theta[i] as number;
        const g = gradOf(leaf, i, param);
        const c = (1 - b1) * g + b1 * (mu[i] as number);
        minAbs = Math.min(minAbs, Math.abs(c));
        let u = Math.sign(c);
        mu[i] = (1 - b2) * g + b2 * (mu[i] as number);
        u = u + wd * param;
        theta[i] = param + -lr * u;
      }
    }
    return theta;
  });
  return { theta, minAbs };
}

const CONFIGS: [string, LionOptions][] = [
  ['defaults', {}],
  ['learning rate 0.01', { learningRate: 0.01 }],
  ['β₁ = 0.5, β₂ = 0.9', { learningRate: 0.01, beta1: 0.5, beta2: 0.9 }],
  ['decoupled weight decay', { learningRate: 0.01, weightDecay: 0.5 }],
  ['scheduled learning rate, β₁ and weight decay', { learningRate: (t) => 0.02 / (1 + t), beta1: (t) => 0.9 - 0.05 * t, weightDecay: (t) => 0.1 * t }],
];
const STEPS = 6;

describe('lion (optax.lion, Chen et al. 2023)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, η = 0.1, λ = 0.5', async () => {
    // c₁ = 0.1·0.5 > 0 → θ₁ = 1 − 0.1·(1 + 0.5·1) = 0.85, m₁ = 0.005;
    // c₂ = 0.05 + 0.9·0.005 > 0 → θ₂ = 0.85 − 0.1·(1 + 0.5·0.85) = 0.7075; a negative gradient moves up by η
    const params = tf.tidy(() => ({ w: tf.variable(tf.scalar(1)), v: tf.variable(tf.scalar(2)) }));
    const opt = new Optimizer(params, lion({ learningRate: 0.1, weightDecay: 0.5 }));
    const g = { w: tf.scalar(0.5), v: tf.scalar(-3) };
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      opt.step(g);
      seen.push((await params.w.data())[0] as number, (await params.v.data())[0] as number);
    }
    // v: 2 − 0.1·(−1 + 0.5·2) = 2; then 2 − 0.1·(−1 + 1) = 2
    await expectClose(seen, [0.85, 2, 0.7075, 2]);
    opt.dispose();
    tf.dispose([params, g] as unknown as tf.TensorContainer);
  });

  it('has its name, resolved options and hyperParams at a step', () => {
    const tx = lion({ learningRate: (t) => 1e-3 / (1 + t) });
    expect(tx.name).toBe('lion');
    expect(tx.options).toMatchObject({ beta1: 0.9, beta2: 0.99, weightDecay: 0 });
    expect(tx.hyperParams?.(1)).toEqual({ learningRate: 5e-4, beta1: 0.9, beta2: 0.99, weightDecay: 0 });
  });

  for (const [what, options] of CONFIGS) {
    const { theta: expected, minAbs } = optaxLion(options, STEPS);
    it(`${what}: the reference's interpolation stays clear of 0 (float32 cannot flip a sign)`, () => {
      // |g| < 10 here, so float32 rounding moves the interpolation by well under 1e-5.
      expect(minAbs).toBeGreaterThan(1e-4);
    });
    trajectoryTests(what, () => lion(options), expected, STEPS, BENCH);
  }

  it(`tiny gradients move every coordinate by η on the ${currentBackend()} backend, on both paths (tfjs-wasm's tf.sign gives 0 below ~5e-7)`, async () => {
    // First step, m = 0: c = (1 − β₁)·g = 0.1·g, so the update is −η·sign(g) whatever |g|: 1e-7, 3e-9
    // and −2e-8 move by ∓η = ∓0.5; 0 does not move. By hand: θ = 1 − 0.5·sign(g).
    const g = [1e-7, 3e-9, -2e-8, 0, 4e-6, -1e-30];
    const expected = [0.5, 0.5, 1.5, 1, 0.5, 1.5];
    for (const fused of [true, false]) {
      const params = { w: tf.variable(tf.ones([g.length])) };
      const opt = new Optimizer(params, lion({ learningRate: 0.5 }), { fused });
      const grads = { w: tf.tensor1d(g) };
      opt.step(grads);
      expect(opt.lastStepPath).toBe(fused ? 'fused:GradkitLion' : 'reference');
      await expectClose(params.w, expected, { rtol: 0, atol: 0, what: `${opt.lastStepPath} path` });
      opt.dispose();
      tf.dispose([params.w, grads.w]);
    }
  });

  roundTripTest(() => lion({ learningRate: 0.01, weightDecay: 0.1 }), BENCH);
  leakTest([() => lion({ weightDecay: 0.1 })], BENCH);
  needsParamsTest(() => lion({ weightDecay: 0.1 }), /lion with weightDecay needs the parameters/, BENCH);

  badHyperTests(
    badOptions(lion, [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -1e-4 }, 'learningRate', /got -0\.0001/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ beta1: 1 }, 'beta1', /beta1 must be in \[0, 1\), got 1/],
      [{ beta1: -0.1 }, 'beta1', /beta1/],
      [{ beta2: 1 }, 'beta2', /beta2 must be in \[0, 1\)/],
      [{ beta2: Number.NaN }, 'beta2', /finite number/],
      [{ weightDecay: -1 }, 'weightDecay', /weightDecay must be in \[0, ∞\)/],
      [{ beta2: () => 1.5 }, 'beta2', /schedule value at step 0/],
    ]),
  );
});
