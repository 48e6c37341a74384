import { Optimizer } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type AdoptOptions, adopt } from './index.js';
import {
  at,
  badHyperTests,
  type Flat,
  gradOf,
  leakTest,
  MAIN,
  needsParamsTest,
  perLeaf,
  roundTripTest,
  standardBadInputs,
  trajectoryTests,
} from './test-kit.js';

const BENCH = { problem: MAIN, tolerance: { rtol: 1e-5, atol: 1e-6 }, reference: "optax's" };

/**
 * Independent reference: optax's `optax.contrib.adopt` = chain(scale_by_adopt, scale_by_learning_rate)
 * (google-deepmind/optax, optax/contrib/_adopt.py at commit 2edbcbe2390da13983b92cbef94ac0460ecde1c5;
 * optax.tree `update_moment`, `update_moment_per_elem_norm`), transcribed per element in float64, with
 * gradkit's decoupled weight decay as optax's `add_decayed_weights` between the two (λ = 0: optax's
 * adopt exactly). Schedules are evaluated at the step index (optax's `count`).
 */
function optaxAdopt(o: AdoptOptions, steps: number): Flat {
  return perLeaf(MAIN, (leaf) => {
    const theta = [...leaf.theta0];
    const mu = theta.map(() => 0);
    const nu = theta.map(() => 0);
    for (let count = 0; count < steps; count++) {
      const [lr, b1, b2, eps, wd] = [
        at(o.learningRate, count, 1e-3),
        at(o.beta1, count, 0.9),
        at(o.beta2, count, 0.9999),
        at(o.epsilon, count, 1e-6),
        at(o.weightDecay, count, 0),
      ];
      const b2_ = count > 0 ? b2 : 0; // jnp.where(state.count > 0, b2, 0)
      const b1_ = count > 0 ? b1 : 1; // jnp.where(state.count > 0, b1, 1)
      const clip = count ** 0.25; // clip_value_fn(state.count)
      for (let i = 0; i < theta.length; i++) {
        const param = theta[i] as number;
        const g = gradOf(leaf, i, param);
        const nuNext = (1 - b2_) * g ** 2 + b2_ * (nu[i] as number); // update_moment_per_elem_norm(updates, state.nu, b2_, 2)
        let n = g / Math.max(Math.sqrt(nu[i] as number), eps); // ud / jnp.maximum(jnp.sqrt(nu), eps), with the previous nu
        if (o.useClipping ?? true) n = Math.min(Math.max(n, -clip), clip); // jnp.clip
        mu[i] = (1 - b1_) * n + b1_ * (mu[i] as number); // update_moment(mu_updates, state.mu, b1_, 1)
        let u = o.nesterov ? (1 - b1_) * n + b1_ * (mu[i] as number) : (mu[i] as number);
        u = u + wd * param; // add_decayed_weights
        theta[i] = param + -lr * u; // scale_by_learning_rate; apply_updates
        nu[i] = nuNext;
      }
    }
    return theta;
  });
}

const CONFIGS: [string, AdoptOptions][] = [
  ['defaults', {}],
  ['learning rate 0.05', { learningRate: 0.05 }],
  ['β₁ = 0.5, β₂ = 0.9, ε = 1e-3', { learningRate: 0.05, beta1: 0.5, beta2: 0.9, epsilon: 1e-3 }],
  ['β₁ = 0, learning rate 0.5 (the clip bites)', { learningRate: 0.5, beta1: 0 }],
  ['nesterov', { learningRate: 0.05, nesterov: true }],
  ['no clipping', { learningRate: 0.05, useClipping: false }],
  ['nesterov without clipping, β₂ = 0.5', { learningRate: 0.05, nesterov: true, useClipping: false, beta2: 0.5 }],
  ['decoupled weight decay', { learningRate: 0.05, weightDecay: 0.5 }],
  ['scheduled learning rate, β₁ and weight decay', { learningRate: (t) => 0.05 / (1 + t), beta1: (t) => 0.9 - 0.05 * t, weightDecay: (t) => 0.1 * t }],
];
const STEPS = 7;

/** θ after each `Optimizer.step` on a scalar θ₀ = 1 with the gradients `gs` in turn. */
async function stepsWith(options: AdoptOptions, gs: readonly number[]): Promise<number[]> {
  const params = { w: tf.variable(tf.scalar(1)) };
  const opt = new Optimizer(params, adopt(options));
  const seen: number[] = [];
  for (const g of gs) {
    const grads = { w: tf.scalar(g) };
    opt.step(grads);
    grads.w.dispose();
    seen.push((await params.w.data())[0] as number);
  }
  opt.dispose();
  params.w.dispose();
  return seen;
}

describe('adopt (optax.contrib.adopt, Taniguchi et al. 2024)', () => {
  it("is named 'adopt' with optax's defaults and hyper-parameters at a step", () => {
    const tx = adopt({ learningRate: (t) => 1e-3 / (1 + t) });
    expect(tx.name).toBe('adopt');
    expect(tx.options).toMatchObject({ beta1: 0.9, beta2: 0.9999, epsilon: 1e-6, nesterov: false, useClipping: true, weightDecay: 0 });
    expect(tx.hyperParams?.(1)).toEqual({ learningRate: 5e-4, beta1: 0.9, beta2: 0.9999, epsilon: 1e-6, weightDecay: 0 });
  });

  it('matches hand-worked steps: the first only sets ν, the second is clipped to ±1', async () => {
    // η = 0.1, θ₀ = 1. Step 1 (t = 0): ν = 0.5² = 0.25, no move. Step 2 (t = 1), g = 2: n = 2/√0.25 = 4,
    // clipped to 1^¼ = 1 → m = 0.1 → θ = 1 − 0.1·0.1 = 0.99. Step 3 (t = 2), g = 0.5: ν = 0.9999·0.25 +
    // 0.0001·4 = 0.250375, n = 0.5/√0.250375 = 0.999251, within ±2^¼ → m = 0.09 + 0.0999251 → θ = 0.99 − 0.01899251.
    await expectClose(await stepsWith({ learningRate: 0.1 }, [0.5, 2, 0.5]), [1, 0.99, 0.99 - 0.1 * (0.09 + 0.1 * (0.5 / Math.sqrt(0.250375)))]);
    // Without clipping, step 2 moves by η·0.1·4 = 0.04; with nesterov (clipped) by η·(0.9·0.1 + 0.1·1) = 0.019.
    await expectClose(await stepsWith({ learningRate: 0.1, useClipping: false }, [0.5, 2]), [1, 0.96]);
    await expectClose(await stepsWith({ learningRate: 0.1, nesterov: true }, [0.5, 2]), [1, 0.981]);
    // Weight decay moves the first step already: θ = 1 − 0.1·0.5·1 = 0.95 (as the authors' decoupled decay).
    await expectClose(await stepsWith({ learningRate: 0.1, weightDecay: 0.5 }, [0.5]), [0.95]);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => adopt(options), optaxAdopt(options, STEPS), STEPS, BENCH);

  it('the reference trajectories are clipped somewhere (clipping is exercised)', () => {
    // Unclipped and clipped references differ: a clipped config that never clipped would test nothing.
    const clipped = optaxAdopt({ learningRate: 0.5, beta1: 0 }, STEPS);
    const free = optaxAdopt({ learningRate: 0.5, beta1: 0, useClipping: false }, STEPS);
    expect(clipped).not.toEqual(free);
  });

  roundTripTest(() => adopt({ learningRate: 0.05, weightDecay: 0.1 }), BENCH);
  describe('nesterov, no clipping', () => roundTripTest(() => adopt({ learningRate: 0.05, nesterov: true, useClipping: false }), BENCH));
  leakTest([() => adopt({ weightDecay: 0.1 }), () => adopt({ nesterov: true, useClipping: false })], BENCH);
  needsParamsTest(() => adopt({ weightDecay: 0.1 }), /adopt with weightDecay needs the parameters/, BENCH);

  badHyperTests([
    ...standardBadInputs((o) => adopt(o as AdoptOptions), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']),
    ['nesterov "yes"', () => adopt({ nesterov: 'yes' as never }), 'nesterov', /nesterov must be true or false/],
    ['useClipping 1', () => adopt({ useClipping: 1 as never }), 'useClipping', /useClipping must be true or false/],
  ]);
});
