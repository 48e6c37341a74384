import { Optimizer } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type LambOptions, lamb } from './lamb.js';
import { at, badHyperTests, badOptions, type Flat, gradOf, leakTest, MAIN, needsParamsTest, perLeaf, roundTripTest, trajectoryTests } from './test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: "optax's" };

/**
 * Independent reference: optax's `lamb` (optax/_src/alias.py: chain(scale_by_adam(b1, b2, eps,
 * eps_root=0), add_decayed_weights(weight_decay), scale_by_trust_ratio(), scale_by_learning_rate(lr))),
 * transcribed per tensor in float64 from optax/_src/transform.py: mu = (1 − b1)·g + b1·mu;
 * nu = (1 − b2)·g² + b2·nu; count += 1; u = (mu/(1 − b1^count)) / (sqrt(nu/(1 − b2^count) + 0) + eps);
 * u += wd·param; param_norm = ‖param‖, update_norm = ‖u‖ (whole tensor); ratio = 1·param_norm /
 * (update_norm + 0), or 1 when either norm is 0; u = −lr·ratio·u. Schedules are evaluated at the
 * step index (count before the increment), as optax's schedules at `count`.
 */
function optaxLamb(o: LambOptions, steps: number): Flat {
  return perLeaf(MAIN, (leaf) => {
    const theta = [...leaf.theta0];
    const mu = theta.map(() => 0);
    const nu = theta.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const [lr, b1, b2, eps, wd] = [at(o.learningRate, t, 1e-3), at(o.beta1, t, 0.9), at(o.beta2, t, 0.999), at(o.epsilon, t, 1e-6), at(o.weightDecay, t, 0)];
      const count = t + 1;
      const u = theta.map((param, i) => {
        const g = gradOf(leaf, i, param);
        mu[i] = (1 - b1) * g + b1 * (mu[i] as number);
        nu[i] = (1 - b2) * g * g + b2 * (nu[i] as number);
        const muHat = (mu[i] as number) / (1 - b1 ** count);
        const nuHat = (nu[i] as number) / (1 - b2 ** count);
        return muHat / (Math.sqrt(nuHat + 0) + eps) + wd * param;
      });
      const paramNorm = Math.sqrt(theta.reduce((s, x) => s + x * x, 0));
      const updateNorm = Math.sqrt(u.reduce((s, x) => s + x * x, 0));
      const ratio = paramNorm === 0 || updateNorm === 0 ? 1 : (1 * paramNorm) / (updateNorm + 0);
      for (let i = 0; i < theta.length; i++) theta[i] = (theta[i] as number) + -lr * ratio * (u[i] as number);
    }
    return theta;
  });
}

const CONFIGS: [string, LambOptions][] = [
  ['defaults', {}],
  ['learning rate 0.05', { learningRate: 0.05 }],
  ['weight decay', { learningRate: 0.05, weightDecay: 0.1 }],
  ['β₁ = 0.5, β₂ = 0.9, large ε', { learningRate: 0.05, beta1: 0.5, beta2: 0.9, epsilon: 1e-2 }],
  ['scheduled learning rate, β₁ and weight decay', { learningRate: (t) => 0.05 / (1 + t), beta1: (t) => 0.8 + 0.01 * t, weightDecay: (t) => 0.01 * t }],
];
const STEPS = 6;

describe('lamb (optax.lamb, You et al. 2020)', () => {
  it('matches hand-worked numbers: θ₀ = [3, 4], g = [0.5, −1], η = 0.1; a zero tensor gets trust ratio 1', async () => {
    // Step 1: the bias-corrected Adam direction is g/(|g| + ε) ≈ [1, −1], ‖u‖ ≈ √2, ‖θ‖ = 5, r ≈ 3.5355392
    // → θ₁ = θ₀ − 0.1·r·u ≈ [2.6464468, 4.3535536]; step 2 (r ≈ 3.6025815) → [2.2861894, 4.7138114].
    // z = 0: ‖θ‖ = 0 so r = 1 → z₁ = −0.1·0.5/(0.5 + 1e-6) ≈ −0.0999998
    const params = tf.tidy(() => ({ w: tf.variable(tf.tensor1d([3, 4])), z: tf.variable(tf.scalar(0)) }));
    const opt = new Optimizer(params, lamb({ learningRate: 0.1 }));
    const g = { w: tf.tensor1d([0.5, -1]), z: tf.scalar(0.5) };
    opt.step(g);
    await expectClose(await params.w.data(), [2.6464468, 4.3535536]);
    await expectClose(await params.z.data(), [-0.0999998]);
    opt.step(g);
    await expectClose(await params.w.data(), [2.2861894, 4.7138114]);
    opt.dispose();
    tf.dispose([params, g] as unknown as tf.TensorContainer);
  });

  it('has its name, resolved options and hyperParams at a step', () => {
    const tx = lamb({ weightDecay: (t) => 0.01 * t });
    expect(tx.name).toBe('lamb');
    expect(tx.options).toMatchObject({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-6 });
    expect(tx.hyperParams?.(3)).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.03 });
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => lamb(options), optaxLamb(options, STEPS), STEPS, BENCH);

  roundTripTest(() => lamb({ learningRate: 0.05, weightDecay: 0.01 }), BENCH);
  leakTest([() => lamb({ weightDecay: 0.01 })], BENCH);
  needsParamsTest(() => lamb(), /lamb needs the parameters for its trust ratio/, BENCH);

  badHyperTests(
    badOptions(lamb, [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -1e-3 }, 'learningRate', /got -0\.001/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ beta1: 1 }, 'beta1', /beta1 must be in \[0, 1\), got 1/],
      [{ beta2: -0.5 }, 'beta2', /beta2 must be in \[0, 1\)/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\), got 0/],
      [{ weightDecay: -0.01 }, 'weightDecay', /weightDecay must be in \[0, ∞\)/],
      [{ beta1: () => Number.NaN }, 'beta1', /schedule value at step 0/],
    ]),
  );
});
