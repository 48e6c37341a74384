import { chain } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { torchAdam } from './adam-references.js';
import { type ScaleByAdamOptions, scaleByAdam } from './scale-by-adam.js';
import { scaleByLearningRate } from './scale-by-learning-rate.js';
import { at, badHyperTests, concat, gradAt, leakTest, roundTripTest, runFunctional, standardBadInputs, THETA0, trajectoryTests } from './test-kit.js';

/**
 * Independent reference: optax.scale_by_adam and optax.scale_by_amsgrad (optax/_src/transform.py;
 * optax.tree `update_moment`, `update_moment_per_elem_norm`, `bias_correction`) transcribed
 * literally for scalars in float64, followed by scale_by_learning_rate(lr) and apply_updates.
 */
function optaxAdam(o: ScaleByAdamOptions, lr: number, steps: number): number[] {
  const theta = [...THETA0];
  const mu = theta.map(() => 0);
  const nu = theta.map(() => 0);
  const nuMax = theta.map(() => 0);
  for (let count = 0; count < steps; count++) {
    const [b1, b2, eps, epsRoot] = [at(o.beta1, count, 0.9), at(o.beta2, count, 0.999), at(o.epsilon, count, 1e-8), at(o.epsilonRoot, count, 0)];
    const updates = gradAt(theta);
    const countInc = count + 1;
    for (let i = 0; i < theta.length; i++) {
      const g = updates[i] as number;
      mu[i] = (1 - b1) * g + b1 * (mu[i] as number); // update_moment(updates, state.mu, b1, 1)
      nu[i] = (1 - b2) * g ** 2 + b2 * (nu[i] as number); // update_moment_per_elem_norm(updates, state.nu, b2, 2)
      const muHat = (mu[i] as number) / (1 - b1 ** countInc);
      let nuHat = (nu[i] as number) / (1 - b2 ** countInc);
      if (o.amsgrad) {
        nuMax[i] = Math.max(nuMax[i] as number, nuHat); // nu_max = jnp.maximum(state.nu_max, nu_hat)
        nuHat = nuMax[i] as number;
      }
      theta[i] = (theta[i] as number) - lr * (muHat / (Math.sqrt(nuHat + epsRoot) + eps)); // m / (sqrt(v + eps_root) + eps), then × −lr
    }
  }
  return theta;
}

const CONFIGS: [string, ScaleByAdamOptions][] = [
  ['defaults', {}],
  ['epsilonRoot 1e-2, epsilon 1e-4', { epsilonRoot: 1e-2, epsilon: 1e-4 }],
  ['amsgrad (maximum of the bias-corrected v̂, as optax)', { beta2: 0.6, amsgrad: true }],
  ['scheduled betas', { beta1: (t) => 0.9 - 0.1 * t, beta2: (t) => 0.99 - 0.05 * t }],
];
const STEPS = 6;
const LR = 0.1;

describe('scaleByAdam (optax.scale_by_adam / scale_by_amsgrad)', () => {
  it('rescales a first gradient to m̂/(√v̂ + ε) = g/(|g| + ε) with no learning rate', async () => {
    const tx = scaleByAdam();
    const g = { w: tf.tensor1d([0.5, -2, 0]) };
    const state = tx.init(g);
    const r = tf.tidy(() => tx.update(g, state) as unknown as tf.TensorContainerObject) as unknown as ReturnType<typeof tx.update>;
    await expectClose((r.updates as { w: tf.Tensor }).w, [1, -1, 0]);
    expect(r.state.count).toBe(1);
    tf.dispose([g.w, state as tf.TensorContainer, r as unknown as tf.TensorContainer]);
  });

  it('exposes its name, options and hyper-parameters; state { count, mu, nu, nuMax? }', () => {
    const tx = scaleByAdam({ amsgrad: true });
    expect(tx.name).toBe('scaleByAdam');
    expect(tx.options).toEqual({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, epsilonRoot: 0, amsgrad: true });
    expect(tx.hyperParams?.(5)).toEqual({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, epsilonRoot: 0 });
    const params = { w: tf.zeros([2]) };
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['count', 'mu', 'nu', 'nuMax']);
    tf.dispose([params.w, state as tf.TensorContainer]);
  });

  for (const [what, options] of CONFIGS) {
    trajectoryTests(
      `${what}, then scaleByLearningRate(${LR})`,
      () => chain(scaleByAdam(options), scaleByLearningRate(LR)),
      optaxAdam(options, LR, STEPS),
      STEPS,
    );
  }

  it('chain(scaleByAdam(), scaleByLearningRate(η)) is PyTorch Adam (cross-check of the two references and the two paths)', async () => {
    const torch = torchAdam({ learningRate: LR }, STEPS, false);
    await expectClose(optaxAdam({}, LR, STEPS), torch, { rtol: 1e-12, atol: 1e-12 });
    await expectClose(concat(await runFunctional(chain(scaleByAdam(), scaleByLearningRate(LR)), STEPS)), torch, { rtol: 1e-5 });
  });

  roundTripTest(() => chain(scaleByAdam({ amsgrad: true }), scaleByLearningRate(0.05)));
  leakTest([() => scaleByAdam(), () => scaleByAdam({ amsgrad: true, epsilonRoot: 1e-8 })]);

  badHyperTests([
    ...standardBadInputs((o) => scaleByAdam(o as ScaleByAdamOptions), ['beta1', 'beta2', 'epsilon']),
    ['epsilonRoot −1', () => scaleByAdam({ epsilonRoot: -1 }), 'epsilonRoot', /epsilonRoot must be in \[0, ∞\)/],
    ['amsgrad "true"', () => scaleByAdam({ amsgrad: 'true' as unknown as boolean }), 'amsgrad', /true or false/],
  ]);
});
