import { expectClose } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { type AdabeliefOptions, adabelief } from './adabelief.js';
import { at, badHyperTests, constantGradientSteps, gradAt, leakTest, roundTripTest, standardBadInputs, THETA0, trajectoryTests } from './test-kit.js';

/**
 * Independent reference: optax.adabelief = chain(scale_by_belief, scale_by_learning_rate)
 * (optax/_src/alias.py `adabelief`, optax/_src/transform.py `scale_by_belief` and
 * `scale_by_learning_rate`; optax.tree `update_moment`, `update_moment_per_elem_norm`,
 * `bias_correction`) transcribed literally for scalars in float64. The prediction error uses the
 * new first moment, as in current optax and the paper.
 */
function optaxAdabelief(o: AdabeliefOptions, steps: number): number[] {
  const theta = [...THETA0];
  const mu = theta.map(() => 0);
  const nu = theta.map(() => 0);
  for (let count = 0; count < steps; count++) {
    const [lr, b1, b2, eps, epsRoot] = [
      at(o.learningRate, count, 1e-3),
      at(o.beta1, count, 0.9),
      at(o.beta2, count, 0.999),
      at(o.epsilon, count, 1e-16),
      at(o.epsilonRoot, count, 1e-16),
    ];
    const updates = gradAt(theta);
    const countInc = count + 1; // numerics.safe_increment(state.count)
    for (let i = 0; i < theta.length; i++) {
      const g = updates[i] as number;
      mu[i] = (1 - b1) * g + b1 * (mu[i] as number); // update_moment(updates, state.mu, b1, 1)
      const predictionError = g - (mu[i] as number); // tree.sub(updates, mu)
      nu[i] = (1 - b2) * predictionError ** 2 + b2 * (nu[i] as number); // update_moment_per_elem_norm(prediction_error, state.nu, b2, 2)
      nu[i] = (nu[i] as number) + epsRoot; // nu + eps_root
      const muHat = (mu[i] as number) / (1 - b1 ** countInc); // bias_correction(mu, b1, count_inc)
      const nuHat = (nu[i] as number) / (1 - b2 ** countInc); // bias_correction(nu, b2, count_inc)
      const u = muHat / (Math.sqrt(nuHat) + eps);
      theta[i] = (theta[i] as number) + -lr * u; // scale_by_learning_rate: scale by −learning_rate(count); apply_updates
    }
  }
  return theta;
}

const CONFIGS: [string, AdabeliefOptions][] = [
  ['defaults', {}],
  ['learning rate 0.1', { learningRate: 0.1 }],
  ['betas 0.8 / 0.9, epsilon 1e-6, epsilonRoot 1e-4', { learningRate: 0.1, beta1: 0.8, beta2: 0.9, epsilon: 1e-6, epsilonRoot: 1e-4 }],
  ['scheduled learning rate and beta2', { learningRate: (t) => 0.1 / (1 + t), beta2: (t) => 0.99 - 0.01 * t }],
];
const STEPS = 6;

describe('adabelief (optax.adabelief)', () => {
  it("is named 'adabelief' with optax's defaults and hyper-parameters at a step", () => {
    const tx = adabelief();
    expect(tx.name).toBe('adabelief');
    expect(tx.options).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-16, epsilonRoot: 1e-16 });
    expect(tx.hyperParams?.(1)).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-16, epsilonRoot: 1e-16 });
  });

  it('matches a hand-worked first step: θ₀ = 1, g = 0.5, η = 0.1 → θ₁ = 1 − 1/9', async () => {
    // m = 0.05, g − m = 0.45, s/(1−β₂) = 0.45², m/(1−β₁) = 0.5: the step is η·0.5/0.45 = 1/9.
    // (With the previous first moment, as some older optax versions used, it would be exactly η.)
    await expectClose(await constantGradientSteps(adabelief({ learningRate: 0.1 }), 1, 0.5, 1), [1 - 1 / 9]);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => adabelief(options), optaxAdabelief(options, STEPS), STEPS);

  roundTripTest(() => adabelief({ learningRate: 0.05 }));
  leakTest([() => adabelief()]);

  badHyperTests([
    ...standardBadInputs((o) => adabelief(o as AdabeliefOptions), ['learningRate', 'beta1', 'beta2', 'epsilon']),
    ['epsilonRoot −1e-16', () => adabelief({ epsilonRoot: -1e-16 }), 'epsilonRoot', /epsilonRoot must be in \[0, ∞\)/],
  ]);
});
