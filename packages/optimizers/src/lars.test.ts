import { Optimizer } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type LarsOptions, lars } from './lars.js';
import {
  at,
  badHyperTests,
  badOptions,
  type Flat,
  gradOf,
  leakTest,
  MAIN,
  needsParamsTest,
  perLeaf,
  roundTripTest,
  tensorsOf,
  trajectoryTests,
} from './test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: "optax's" };

/**
 * Independent reference: optax's `lars` (optax/_src/alias.py: chain(add_decayed_weights(weight_decay),
 * scale_by_trust_ratio(trust_coefficient, eps), scale_by_learning_rate(lr), trace(momentum, nesterov))),
 * transcribed per tensor in float64: u = g + wd·param; ratio = tc·‖param‖ / (‖u‖ + eps), or 1 when
 * either norm is 0 (optax/_src/transform.py `scale_by_trust_ratio`, min_norm 0); s = −lr·ratio·u;
 * trace = s + momentum·trace; update = s + momentum·trace (nesterov) or trace
 * (optax/transforms/_accumulation.py `trace`). Schedules are evaluated at the step index (0-based).
 */
function optaxLars(o: LarsOptions, steps: number): Flat {
  return perLeaf(MAIN, (leaf) => {
    const theta = [...leaf.theta0];
    const trace = theta.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const [lr, momentum, wd, tc, eps] = [
        at(o.learningRate, t, 0),
        at(o.momentum, t, 0.9),
        at(o.weightDecay, t, 0),
        at(o.trustCoefficient, t, 0.001),
        at(o.epsilon, t, 0),
      ];
      const u = theta.map((param, i) => gradOf(leaf, i, param) + wd * param);
      const paramNorm = Math.sqrt(theta.reduce((s, x) => s + x * x, 0));
      const updateNorm = Math.sqrt(u.reduce((s, x) => s + x * x, 0));
      const ratio = paramNorm === 0 || updateNorm === 0 ? 1 : (tc * paramNorm) / (updateNorm + eps);
      for (let i = 0; i < theta.length; i++) {
        const s = -lr * ratio * (u[i] as number);
        trace[i] = s + momentum * (trace[i] as number);
        const update = o.nesterov ? s + momentum * (trace[i] as number) : (trace[i] as number);
        theta[i] = (theta[i] as number) + update;
      }
    }
    return theta;
  });
}

const CONFIGS: [string, LarsOptions][] = [
  ['defaults (learning rate 1)', { learningRate: 1 }],
  ['trust coefficient 0.1 + weight decay', { learningRate: 0.5, trustCoefficient: 0.1, weightDecay: 0.1 }],
  ['nesterov', { learningRate: 0.5, trustCoefficient: 0.1, nesterov: true }],
  ['no momentum, ε = 1', { learningRate: 0.5, trustCoefficient: 0.1, momentum: 0, epsilon: 1 }],
  [
    'scheduled learning rate, momentum and trust coefficient',
    { learningRate: (t) => 0.5 / (1 + t), momentum: (t) => 0.5 + 0.05 * t, trustCoefficient: (t) => 0.05 * (1 + t), nesterov: true },
  ],
];
const STEPS = 6;

describe('lars (optax.lars, You et al. 2017)', () => {
  it('matches hand-worked numbers: θ₀ = [3, 4], g = [0.6, 0.8], η = 1, c = 0.1, μ = 0.9; a zero tensor gets trust ratio 1', async () => {
    // r₁ = 0.1·5/1 = 0.5 → s₁ = [−0.3, −0.4] = t₁ → θ₁ = [2.7, 3.6];
    // r₂ = 0.1·4.5 = 0.45 → s₂ = [−0.27, −0.36], t₂ = s₂ + 0.9·t₁ = [−0.54, −0.72] → θ₂ = [2.16, 2.88].
    // Nesterov: step 1 applies s₁ + 0.9·t₁ = 1.9·s₁ → [2.43, 3.24]. z = 0 (‖θ‖ = 0): r = 1 → z₁ = −0.5
    for (const [nesterov, expected] of [
      [false, [2.7, 3.6, 2.16, 2.88]],
      [true, [2.43, 3.24]],
    ] as const) {
      const params = tf.tidy(() => ({ w: tf.variable(tf.tensor1d([3, 4])), z: tf.variable(tf.scalar(0)) }));
      const opt = new Optimizer(params, lars({ learningRate: 1, trustCoefficient: 0.1, nesterov }));
      const g = { w: tf.tensor1d([0.6, 0.8]), z: tf.scalar(0.5) };
      opt.step(g);
      await expectClose(await params.z.data(), [nesterov ? -0.95 : -0.5]);
      const seen = [...(await params.w.data())];
      if (!nesterov) {
        opt.step(g);
        seen.push(...(await params.w.data()));
      }
      await expectClose(seen, [...expected]);
      opt.dispose();
      tf.dispose([params, g] as unknown as tf.TensorContainer);
    }
  });

  it('has its name, resolved options, hyperParams at a step, and keeps no trace without momentum', () => {
    const tx = lars({ learningRate: (t) => 1 / (1 + t) });
    expect(tx.name).toBe('lars');
    expect(tx.options).toMatchObject({ momentum: 0.9, weightDecay: 0, trustCoefficient: 0.001, epsilon: 0, nesterov: false });
    expect(tx.hyperParams?.(1)).toEqual({ learningRate: 0.5, momentum: 0.9, weightDecay: 0, trustCoefficient: 0.001, epsilon: 0 });
    const params = tensorsOf(MAIN);
    const withTrace = tx.init(params);
    const without = lars({ learningRate: 1, momentum: 0 }).init(params);
    expect(Object.keys(withTrace)).toEqual(['count', 'trace']);
    expect(without).toEqual({ count: 0 });
    tf.dispose([params, withTrace] as unknown as tf.TensorContainer);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => lars(options), optaxLars(options, STEPS), STEPS, BENCH);

  roundTripTest(() => lars({ learningRate: 0.5, trustCoefficient: 0.1, weightDecay: 0.01, nesterov: true }), BENCH);
  leakTest([() => lars({ learningRate: 0.1, weightDecay: 1e-4 }), () => lars({ learningRate: 0.1, momentum: 0 })], BENCH);
  needsParamsTest(() => lars({ learningRate: 1 }), /lars needs the parameters for its trust ratio/, BENCH);

  badHyperTests([
    ...badOptions(lars, [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -0.1 }, 'learningRate', /got -0\.1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{} as LarsOptions, 'learningRate', /learningRate must be a finite number, got undefined/],
      [{ learningRate: 1, momentum: -0.9 }, 'momentum', /momentum must be in \[0, ∞\)/],
      [{ learningRate: 1, weightDecay: -1 }, 'weightDecay', /weightDecay must be in \[0, ∞\)/],
      [{ learningRate: 1, trustCoefficient: 0 }, 'trustCoefficient', /trustCoefficient must be in \(0, ∞\), got 0/],
      [{ learningRate: 1, epsilon: -1e-9 }, 'epsilon', /epsilon must be in \[0, ∞\)/],
      [{ learningRate: 1, nesterov: 1 as unknown as boolean }, 'nesterov', /nesterov must be true or false/],
      [{ learningRate: 1, trustCoefficient: () => -1 }, 'trustCoefficient', /schedule value at step 0/],
    ]),
    ['a missing options object', () => lars(undefined as unknown as LarsOptions), 'options', /lars needs an options object/],
  ]);
});
