import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type AdagradOptions, adagrad } from './adagrad.js';
import {
  at,
  badHyperTests,
  badOptions,
  constantGradientSteps,
  type Flat,
  gradOf,
  leakTest,
  MAIN,
  needsParamsTest,
  type Params,
  perLeaf,
  roundTripTest,
  tensorsOf,
  trajectoryTests,
} from './test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: "PyTorch's" };

/**
 * Independent reference: torch/optim/adagrad.py, `_single_tensor_adagrad` (dense), transcribed
 * literally per element in float64: step += 1; grad += weight_decay·param;
 * clr = lr / (1 + (step − 1)·lr_decay); state_sum += grad²; std = sqrt(state_sum) + eps;
 * param −= clr·grad/std; state_sum starts at initial_accumulator_value. Schedules are evaluated at
 * the step index t = step − 1, as gradkit does.
 */
function torchAdagrad(o: AdagradOptions, steps: number): Flat {
  return perLeaf(MAIN, (leaf) => {
    const theta = [...leaf.theta0];
    const stateSum = theta.map(() => o.initialAccumulatorValue ?? 0);
    for (let step = 1; step <= steps; step++) {
      const t = step - 1;
      const [lr, lrDecay, wd, eps] = [at(o.learningRate, t, 1e-2), at(o.lrDecay, t, 0), at(o.weightDecay, t, 0), at(o.epsilon, t, 1e-10)];
      for (let i = 0; i < theta.length; i++) {
        const param = theta[i] as number;
        let grad = gradOf(leaf, i, param);
        if (wd !== 0) grad = grad + wd * param;
        const clr = lr / (1 + (step - 1) * lrDecay);
        stateSum[i] = (stateSum[i] as number) + grad * grad;
        const std = Math.sqrt(stateSum[i] as number) + eps;
        theta[i] = param - (clr * grad) / std;
      }
    }
    return theta;
  });
}

const CONFIGS: [string, AdagradOptions][] = [
  ['defaults', {}],
  ['weight decay', { learningRate: 0.1, weightDecay: 0.1 }],
  ['learning-rate decay', { learningRate: 0.1, lrDecay: 0.5 }],
  ['initial accumulator value + large ε', { learningRate: 0.1, initialAccumulatorValue: 0.5, epsilon: 1e-2 }],
  ['scheduled learning rate, decay and weight decay', { learningRate: (t) => 0.1 * 0.8 ** t, lrDecay: (t) => 0.1 * t, weightDecay: (t) => 0.01 * (t + 1) }],
];
const STEPS = 6;

describe('adagrad (torch.optim.Adagrad)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, η = 0.1, with and without lrDecay = 1', async () => {
    // s₁ = 0.25 → θ₁ = 1 − 0.1·0.5/0.5 = 0.9; s₂ = 0.5 → θ₂ = 0.9 − 0.05/√0.5 = 0.8292893;
    // with lrDecay 1 the second step uses η/2: θ₂ = 0.9 − 0.025/√0.5 = 0.8646447
    for (const [lrDecay, second] of [
      [0, 0.8292893],
      [1, 0.8646447],
    ] as const) {
      await expectClose(await constantGradientSteps(adagrad({ learningRate: 0.1, lrDecay }), 1, 0.5, 2), [0.9, second]);
    }
  });

  it('has its name, resolved options, hyperParams at a step, and starts the sums at initialAccumulatorValue', async () => {
    const tx = adagrad({ learningRate: (t) => 0.1 / (1 + t), initialAccumulatorValue: 0.25 });
    expect(tx.name).toBe('adagrad');
    expect(tx.options).toMatchObject({ lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0.25, epsilon: 1e-10 });
    expect(tx.hyperParams?.(1)).toEqual({ learningRate: 0.05, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0.25, epsilon: 1e-10 });
    const params = tensorsOf(MAIN);
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['count', 'sum']);
    await expectClose(await ((state.sum as Params).w as tf.Tensor).data(), new Array(12).fill(0.25));
    tf.dispose([params, state] as unknown as tf.TensorContainer);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => adagrad(options), torchAdagrad(options, STEPS), STEPS, BENCH);

  roundTripTest(() => adagrad({ learningRate: 0.1, lrDecay: 0.2, weightDecay: 0.01, initialAccumulatorValue: 0.1 }), BENCH);
  leakTest([() => adagrad({ lrDecay: 0.01, weightDecay: 1e-4, initialAccumulatorValue: 0.1 })], BENCH);
  needsParamsTest(() => adagrad({ weightDecay: 0.1 }), /adagrad with weightDecay needs the parameters/, BENCH);

  badHyperTests(
    badOptions(adagrad, [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -0.1 }, 'learningRate', /got -0\.1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ lrDecay: -1 }, 'lrDecay', /lrDecay must be in \[0, ∞\)/],
      [{ weightDecay: -1 }, 'weightDecay', /weightDecay/],
      [{ initialAccumulatorValue: -0.1 }, 'initialAccumulatorValue', /initialAccumulatorValue must be in \[0, ∞\)/],
      [{ initialAccumulatorValue: (() => 1) as unknown as number }, 'initialAccumulatorValue', /not a schedule/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\)/],
      [{ lrDecay: () => Number.POSITIVE_INFINITY }, 'lrDecay', /schedule value at step 0/],
    ]),
  );
});
