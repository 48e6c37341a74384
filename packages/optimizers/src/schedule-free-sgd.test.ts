import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type ScheduleFreeSgdOptions, scheduleFreeSgd } from './index.js';
import { constantGradientEval, evalModeTests, referenceRun } from './schedule-free-test-kit.js';
import { badHyperTests, badOptions, leakTest, MAIN, needsParamsTest, roundTripTest, trajectoryTests } from './test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: "facebookresearch/schedule_free's SGDScheduleFree" };
const STEPS = 8;

/** The SGD options as the reference reads them (β is `momentum`). */
const asReference = (o: ScheduleFreeSgdOptions) => ({ ...o, beta1: o.momentum });

/** Configurations against the float64 transcription of the repo's `step` (schedule-free-test-kit.ts, commit 70785b5). */
const CONFIGS: [string, ScheduleFreeSgdOptions][] = [
  ['learning rate 0.05, defaults otherwise', { learningRate: 0.05 }],
  ['momentum 0.5', { learningRate: 0.05, momentum: 0.5 }],
  ['warmup over 3 steps', { learningRate: 0.1, warmupSteps: 3 }],
  ['r = 2 (polynomial weighting)', { learningRate: 0.05, r: 2 }],
  ['weightLrPower 0 with warmup (uniform weights)', { learningRate: 0.1, warmupSteps: 4, weightLrPower: 0 }],
  ['weight decay at y', { learningRate: 0.05, weightDecay: 0.2 }],
  ['a schedule as learningRate (and weightDecay) with warmup', { learningRate: (t) => 0.1 / (1 + t), warmupSteps: 2, weightDecay: (t) => 0.1 * t }],
];

describe('scheduleFreeSgd (facebookresearch/schedule_free SGDScheduleFree, Defazio et al. 2024)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, γ = 0.2, x = mean(z₁, z₂) after eval(), y₂ after train()', async () => {
    // Step 1: c = 1 → y₁ = z₁ = 1 − 0.2·0.5 = 0.9. Step 2: c = 0.5, yLr = 0.2·(0.9·0.5 − 1) = −0.11
    // → y₂ = 0.9 − 0.055 = 0.845, z₂ = 0.8; x₂ = lerp(y₂, z₂, 1 − 1/0.9) = 0.85 = (z₁ + z₂)/2.
    await expectClose(await constantGradientEval(scheduleFreeSgd({ learningRate: 0.2 }), 1, 0.5, 2), [0.9, 0.845, 0.85, 0.845], { rtol: 1e-6 });
  });

  it('has its name, resolved options, state layout and hyperParams at a step', () => {
    const tx = scheduleFreeSgd({ learningRate: 1, warmupSteps: 3 });
    expect(tx.name).toBe('scheduleFreeSgd');
    expect(tx.options).toEqual({ learningRate: 1, momentum: 0.9, weightDecay: 0, warmupSteps: 3, r: 0, weightLrPower: 2 });
    expect(tx.hyperParams?.(4)).toEqual({ learningRate: 1, momentum: 0.9, weightDecay: 0, r: 0, weightLrPower: 2 });
    const w = tf.tensor1d([1, 2]);
    const state = tx.init({ w });
    expect(Object.keys(state)).toEqual(['count', 'lrMax', 'weightSum', 'z']);
    tf.dispose([w, state.z] as unknown as tf.TensorContainer);
  });

  for (const [what, options] of CONFIGS) {
    const expected = referenceRun(MAIN, asReference(options), STEPS, false);
    trajectoryTests(what, () => scheduleFreeSgd(options), expected.y, STEPS, BENCH);
  }

  describe('train / eval (momentum 0.8, warmup 2, weight decay 0.1)', () => {
    const options: ScheduleFreeSgdOptions = { learningRate: 0.05, momentum: 0.8, warmupSteps: 2, weightDecay: 0.1 };
    evalModeTests(() => scheduleFreeSgd(options), referenceRun(MAIN, asReference(options), 6, false), 6, MAIN);
  });

  roundTripTest(() => scheduleFreeSgd({ learningRate: 0.05, warmupSteps: 2, weightDecay: 0.1 }), BENCH);
  leakTest([() => scheduleFreeSgd({ learningRate: 0.1, weightDecay: 0.1, warmupSteps: 10 })], BENCH);
  needsParamsTest(() => scheduleFreeSgd({ learningRate: 1 }), /scheduleFreeSgd needs the parameters/, BENCH);

  badHyperTests(
    badOptions(scheduleFreeSgd, [
      [undefined as unknown as ScheduleFreeSgdOptions, 'options', /options/],
      [{} as ScheduleFreeSgdOptions, 'learningRate', /learningRate must be a finite number/],
      [{ learningRate: -1 }, 'learningRate', /learningRate must be in \(0, ∞\)/],
      [{ learningRate: 1, momentum: 0 }, 'momentum', /divides by momentum/],
      [{ learningRate: 1, momentum: 1 }, 'momentum', /momentum must be in \(0, 1\), got 1/],
      [{ learningRate: 1, momentum: (() => 0.9) as unknown as number }, 'momentum', /not a schedule/],
      [{ learningRate: 1, weightDecay: -1 }, 'weightDecay', /weightDecay must be in \[0, ∞\)/],
      [{ learningRate: 1, warmupSteps: -3 }, 'warmupSteps', /integer ≥ 0/],
      [{ learningRate: 1, r: Number.NaN }, 'r', /finite number/],
      [{ learningRate: 1, weightLrPower: -1 }, 'weightLrPower', /weightLrPower must be in \[0, ∞\)/],
    ]),
  );
});
