import { Optimizer } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type AdemamixOptions, ademamix, ademamixWarmup } from './index.js';
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
 * Independent reference: optax's `optax.contrib.ademamix` = chain(scale_by_ademamix,
 * add_decayed_weights, scale_by_learning_rate) (google-deepmind/optax, optax/contrib/_ademamix.py at
 * commit 2edbcbe2390da13983b92cbef94ac0460ecde1c5; optax.tree `update_moment`,
 * `update_moment_per_elem_norm`, `bias_correction`), transcribed per element in float64. β₃ and α are
 * evaluated at `count_m2` (= the step index), the other schedules at `count`, the same index.
 */
function optaxAdemamix(o: AdemamixOptions, steps: number): Flat {
  return perLeaf(MAIN, (leaf) => {
    const theta = [...leaf.theta0];
    const [m1, m2, nu] = [theta.map(() => 0), theta.map(() => 0), theta.map(() => 0)];
    for (let count = 0; count < steps; count++) {
      const [lr, b1, b2, b3, alpha, eps, epsRoot, wd] = [
        at(o.learningRate, count, 1e-3),
        at(o.beta1, count, 0.9),
        at(o.beta2, count, 0.999),
        at(o.beta3, count, 0.9999),
        at(o.alpha, count, 5),
        at(o.epsilon, count, 1e-8),
        at(o.epsilonRoot, count, 0),
        at(o.weightDecay, count, 0),
      ];
      const countInc = count + 1;
      for (let i = 0; i < theta.length; i++) {
        const param = theta[i] as number;
        const g = gradOf(leaf, i, param);
        m1[i] = (1 - b1) * g + b1 * (m1[i] as number);
        m2[i] = (1 - b3) * g + b3 * (m2[i] as number);
        nu[i] = (1 - b2) * g ** 2 + b2 * (nu[i] as number);
        const m1Hat = (m1[i] as number) / (1 - b1 ** countInc);
        const nuHat = (nu[i] as number) / (1 - b2 ** countInc);
        let u = (m1Hat + alpha * (m2[i] as number)) / (Math.sqrt(nuHat + epsRoot) + eps);
        u = u + wd * param; // add_decayed_weights
        theta[i] = param + -lr * u; // scale_by_learning_rate; apply_updates
      }
    }
    return theta;
  });
}

/** The paper's schedulers (apple/ml-ademamix): α warmed up linearly, β₃ warmed up from β₁ on its half-life. */
const T = 5;
const alphaWarmup = (t: number) => Math.min(1, t / T) * 8;
const beta3Warmup = (t: number) => {
  const [start, end] = [0.9, 0.999];
  const f = Math.min(1, t / T);
  return Math.min(end, Math.exp((Math.log(start) * Math.log(end)) / ((1 - f) * Math.log(end) + f * Math.log(start))));
};

const CONFIGS: [string, AdemamixOptions][] = [
  ['defaults', {}],
  ['learning rate 0.05, α = 8, β₃ = 0.999', { learningRate: 0.05, alpha: 8, beta3: 0.999 }],
  ['β₁ = 0.5, β₂ = 0.9, ε = 1e-4, εroot = 1e-3', { learningRate: 0.05, beta1: 0.5, beta2: 0.9, epsilon: 1e-4, epsilonRoot: 1e-3 }],
  ['decoupled weight decay', { learningRate: 0.05, weightDecay: 0.5 }],
  ['α and β₃ warmed up with schedules (the paper’s schedulers)', { learningRate: 0.05, alpha: alphaWarmup, beta3: beta3Warmup }],
  ['ademamixWarmup', { learningRate: 0.05, ...ademamixWarmup({ alpha: 8, beta1: 0.9, beta3: 0.999, warmupSteps: T }) }],
  ['scheduled learning rate, β₁ and weight decay', { learningRate: (t) => 0.05 / (1 + t), beta1: (t) => 0.9 - 0.05 * t, weightDecay: (t) => 0.1 * t }],
];
const STEPS = 7;

describe('ademamix (optax.contrib.ademamix, Pagliardini et al. 2024)', () => {
  it("is named 'ademamix' with optax's defaults (α = 5) and hyper-parameters at a step", () => {
    const tx = ademamix({ alpha: alphaWarmup });
    expect(tx.name).toBe('ademamix');
    expect(ademamix().options).toEqual({
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      beta3: 0.9999,
      alpha: 5,
      epsilon: 1e-8,
      epsilonRoot: 0,
      weightDecay: 0,
    });
    expect(tx.hyperParams?.(1)).toMatchObject({ alpha: 8 / 5, beta3: 0.9999 });
  });

  it('matches hand-worked steps: θ₀ = 1, g = 0.5, η = 0.1, defaults', async () => {
    // Step 1: m₁/(1−β₁) = 0.5, m₂ = 1e-4·0.5 = 5e-5, ν̂ = 0.25 → u = (0.5 + 5·5e-5)/0.5 = 1.0005 → θ = 0.89995.
    // Step 2: m₁ bias-corrected still 0.5, m₂ = 0.9999·5e-5 + 5e-5 = 9.9995e-5 → u = 1 + 10·9.9995e-5 → θ = 0.89995 − 0.1·1.00099995.
    const params = { w: tf.variable(tf.scalar(1)) };
    const opt = new Optimizer(params, ademamix({ learningRate: 0.1 }));
    const grads = { w: tf.scalar(0.5) };
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      opt.step(grads);
      seen.push((await params.w.data())[0] as number);
    }
    await expectClose(seen, [0.89995, 0.89995 - 0.100099995], { rtol: 1e-6 });
    opt.dispose();
    tf.dispose([params.w, grads.w]);
  });

  it('ademamixWarmup: α linear from 0, β₃ on a linear half-life from β₁ to β₃ (the paper’s schedulers), then constant', () => {
    const { alpha, beta3 } = ademamixWarmup({ alpha: 8, beta1: 0.9, beta3: 0.999, warmupSteps: T });
    for (let t = 0; t <= T + 2; t++) {
      expect(alpha(t)).toBeCloseTo(alphaWarmup(t), 12);
      expect(beta3(t)).toBeCloseTo(beta3Warmup(t), 7); // the authors add 1e-8 to β inside the logarithm
    }
    // By hand: α(2) = 8·2/5; at the midpoint of a warmup of 10 the half-life ln 0.5 / ln β₃ is the mean of β₁'s and β₃'s.
    expect(alpha(2)).toBeCloseTo(3.2, 12);
    const mid = ademamixWarmup({ beta1: 0.9, beta3: 0.999, warmupSteps: 10 }).beta3(5);
    const hl = (b: number) => Math.log(0.5) / Math.log(b);
    expect(hl(mid) / ((hl(0.9) + hl(0.999)) / 2)).toBeCloseTo(1, 4); // to the authors' 1e-8 inside the logarithm
    expect(ademamixWarmup({ warmupSteps: 0 }).beta3(0)).toBe(0.9999);
    expect(ademamixWarmup({ warmupSteps: 0 }).alpha(0)).toBe(5);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => ademamix(options), optaxAdemamix(options, STEPS), STEPS, BENCH);

  it('the slow average matters: α = 0 is another trajectory (Adam)', () => {
    expect(optaxAdemamix({ learningRate: 0.05, alpha: 0 }, STEPS)).not.toEqual(optaxAdemamix({ learningRate: 0.05 }, STEPS));
  });

  roundTripTest(() => ademamix({ learningRate: 0.05, alpha: alphaWarmup, beta3: beta3Warmup, weightDecay: 0.1 }), BENCH);
  leakTest([() => ademamix({ weightDecay: 0.1 }), () => ademamix({ epsilonRoot: 1e-8 })], BENCH);
  needsParamsTest(() => ademamix({ weightDecay: 0.1 }), /ademamix with weightDecay needs the parameters/, BENCH);

  badHyperTests([
    ...standardBadInputs((o) => ademamix(o as AdemamixOptions), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']),
    ['beta3 1', () => ademamix({ beta3: 1 }), 'beta3', /beta3 must be in \[0, 1\)/],
    ['beta3 schedule reaching 1', () => ademamix({ beta3: () => 1 }), 'beta3', /schedule value at step 0/],
    ['alpha −1', () => ademamix({ alpha: -1 }), 'alpha', /alpha must be in \[0, ∞\)/],
    ['alpha NaN', () => ademamix({ alpha: Number.NaN }), 'alpha', /finite number/],
    ['ademamixWarmup without warmupSteps', () => ademamixWarmup({} as never), 'warmupSteps', /needs warmupSteps/],
    ['ademamixWarmup warmupSteps 2.5', () => ademamixWarmup({ warmupSteps: 2.5 }), 'warmupSteps', /integer ≥ 0/],
    ['ademamixWarmup alpha −1', () => ademamixWarmup({ alpha: -1, warmupSteps: 10 }), 'alpha', /alpha must be in \[0, ∞\)/],
    ['ademamixWarmup beta3 1', () => ademamixWarmup({ beta3: 1, warmupSteps: 10 }), 'beta3', /beta3 must be in \[0, 1\)/],
    ['epsilonRoot −1e-8', () => ademamix({ epsilonRoot: -1e-8 }), 'epsilonRoot', /epsilonRoot must be in \[0, ∞\)/],
  ]);
});
