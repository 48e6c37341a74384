import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type ScheduleFreeAdamWOptions, scheduleFreeAdamW } from './index.js';
import { constantGradientEval, evalModeTests, referenceRun } from './schedule-free-test-kit.js';
import { badHyperTests, badOptions, leakTest, MAIN, needsParamsTest, roundTripTest, trajectoryTests } from './test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: "facebookresearch/schedule_free's AdamWScheduleFree" };
const STEPS = 8;

/** Configurations against the float64 transcription of the repo's `step` (schedule-free-test-kit.ts, commit 70785b5). */
const CONFIGS: [string, ScheduleFreeAdamWOptions][] = [
  ['defaults', {}],
  ['learning rate 0.05', { learningRate: 0.05 }],
  ['warmup over 3 steps', { learningRate: 0.05, warmupSteps: 3 }],
  ['r = 1 (polynomial weighting)', { learningRate: 0.05, r: 1 }],
  ['weightLrPower 0 with warmup (uniform weights)', { learningRate: 0.05, warmupSteps: 4, weightLrPower: 0 }],
  ['weight decay at y', { learningRate: 0.05, weightDecay: 0.1 }],
  ['β₁ = 0.5, β₂ = 0.9, ε = 1e-3', { learningRate: 0.05, beta1: 0.5, beta2: 0.9, epsilon: 1e-3 }],
  [
    'a schedule as learningRate (and β₂, weightDecay, r) with warmup',
    { learningRate: (t) => 0.08 / (1 + t), warmupSteps: 2, beta2: (t) => 0.99 - 0.01 * t, weightDecay: (t) => 0.05 * t, r: (t) => 0.5 * t },
  ],
];

describe('scheduleFreeAdamW (facebookresearch/schedule_free AdamWScheduleFree, Defazio et al. 2024)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, γ = 0.1, x = mean(z₁, z₂) after eval(), y₂ after train()', async () => {
    // Step 1: c = 1, v/bc2 = g², gn = 0.5/(0.5 + 1e-8) ≈ 1 → y₁ = z₁ = 0.9.
    // Step 2: w = 0.01 again, c = 0.5, gn ≈ 1, yLr = 0.1·(0.9·0.5 − 1) = −0.055 → y₂ = 0.845, z₂ = 0.8;
    // x₂ = lerp(y₂, z₂, 1 − 1/0.9) = 0.85 = (z₁ + z₂)/2, the uniform average the theory gives.
    await expectClose(await constantGradientEval(scheduleFreeAdamW({ learningRate: 0.1 }), 1, 0.5, 2), [0.9, 0.845, 0.85, 0.845], { rtol: 1e-6 });
  });

  it('has its name, resolved options, state layout and hyperParams at a step', () => {
    const tx = scheduleFreeAdamW({ learningRate: (t) => 0.01 / (1 + t), warmupSteps: 5 });
    expect(tx.name).toBe('scheduleFreeAdamW');
    expect(tx.options).toMatchObject({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, warmupSteps: 5, r: 0, weightLrPower: 2 });
    expect(tx.hyperParams?.(1)).toEqual({ learningRate: 0.005, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, r: 0, weightLrPower: 2 });
    expect(scheduleFreeAdamW().options.learningRate).toBe(0.0025);
    const w = tf.tensor1d([1, 2]);
    const state = tx.init({ w });
    expect(Object.keys(state)).toEqual(['count', 'lrMax', 'weightSum', 'z', 'nu']);
    expect(state).toMatchObject({ count: 0, lrMax: 0, weightSum: 0 });
    expect(state.z).not.toHaveProperty('w', w); // a copy, not the parameter itself
    tf.dispose([w, state.z, state.nu] as unknown as tf.TensorContainer);
  });

  for (const [what, options] of CONFIGS) {
    const expected = referenceRun(MAIN, options, STEPS, true);
    trajectoryTests(what, () => scheduleFreeAdamW(options), expected.y, STEPS, BENCH);
  }

  describe('train / eval (warmup 2, weight decay 0.1)', () => {
    const options: ScheduleFreeAdamWOptions = { learningRate: 0.05, warmupSteps: 2, weightDecay: 0.1 };
    evalModeTests(() => scheduleFreeAdamW(options), referenceRun(MAIN, options, 6, true), 6, MAIN);
  });

  roundTripTest(() => scheduleFreeAdamW({ learningRate: 0.05, warmupSteps: 2, weightDecay: 0.1, r: 1 }), BENCH);
  leakTest([() => scheduleFreeAdamW({ weightDecay: 0.1, warmupSteps: 10 })], BENCH);
  needsParamsTest(() => scheduleFreeAdamW(), /scheduleFreeAdamW needs the parameters/, BENCH);

  badHyperTests(
    badOptions(scheduleFreeAdamW, [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ beta1: 0 }, 'beta1', /divides by beta1/],
      [{ beta1: 1 }, 'beta1', /beta1 must be in \(0, 1\), got 1/],
      [{ beta1: -0.1 }, 'beta1', /beta1 must be in \(0, 1\)/],
      [{ beta1: (() => 0.9) as unknown as number }, 'beta1', /not a schedule/],
      [{ beta2: 1 }, 'beta2', /beta2 must be in \[0, 1\)/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\)/],
      [{ weightDecay: -0.1 }, 'weightDecay', /weightDecay must be in \[0, ∞\)/],
      [{ warmupSteps: -1 }, 'warmupSteps', /integer ≥ 0/],
      [{ warmupSteps: 2.5 }, 'warmupSteps', /integer ≥ 0/],
      [{ r: -1 }, 'r', /r must be in \[0, ∞\)/],
      [{ weightLrPower: -2 }, 'weightLrPower', /weightLrPower must be in \[0, ∞\)/],
      [{ weightLrPower: Number.POSITIVE_INFINITY }, 'weightLrPower', /finite number/],
    ]),
  );
});
