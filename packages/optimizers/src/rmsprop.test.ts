import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type RmspropOptions, rmsprop } from './rmsprop.js';
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
  perLeaf,
  roundTripTest,
  tensorsOf,
  trajectoryTests,
} from './test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: "PyTorch's" };

/**
 * Independent reference: torch/optim/rmsprop.py, `_single_tensor_rmsprop`, transcribed literally per
 * element in float64 (square_avg.mul_(alpha).addcmul_(grad, grad, 1 − alpha); centered:
 * grad_avg.lerp_(grad, 1 − alpha), avg = sqrt(square_avg − grad_avg²); avg += eps; momentum:
 * buf = buf·momentum + grad/avg, param −= lr·buf; else param −= lr·grad/avg). Hyper-parameters
 * given as schedules are evaluated at the step index t (0-based), as gradkit does.
 */
function torchRmsprop(o: RmspropOptions, steps: number): Flat {
  return perLeaf(MAIN, (leaf) => {
    const theta = [...leaf.theta0];
    const squareAvg = theta.map(() => 0);
    const gradAvg = theta.map(() => 0);
    const buf = theta.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const [lr, alpha, eps, momentum, wd] = [
        at(o.learningRate, t, 1e-2),
        at(o.alpha, t, 0.99),
        at(o.epsilon, t, 1e-8),
        at(o.momentum, t, 0),
        at(o.weightDecay, t, 0),
      ];
      for (let i = 0; i < theta.length; i++) {
        const param = theta[i] as number;
        let grad = gradOf(leaf, i, param);
        if (wd !== 0) grad = grad + wd * param;
        squareAvg[i] = (squareAvg[i] as number) * alpha + (1 - alpha) * grad * grad;
        let avg: number;
        if (o.centered) {
          gradAvg[i] = (gradAvg[i] as number) + (1 - alpha) * (grad - (gradAvg[i] as number));
          avg = Math.sqrt((squareAvg[i] as number) - (gradAvg[i] as number) ** 2);
        } else avg = Math.sqrt(squareAvg[i] as number);
        avg = avg + eps;
        if (momentum > 0) {
          buf[i] = (buf[i] as number) * momentum + grad / avg;
          theta[i] = param - lr * (buf[i] as number);
        } else theta[i] = param - (lr * grad) / avg;
      }
    }
    return theta;
  });
}

const CONFIGS: [string, RmspropOptions][] = [
  ['defaults', {}],
  ['weight decay', { weightDecay: 0.1 }],
  ['momentum', { learningRate: 5e-3, momentum: 0.9 }],
  ['centered', { centered: true }],
  ['centered + momentum + weight decay + large ε', { learningRate: 3e-3, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.05, epsilon: 1e-3 }],
  ['scheduled learning rate, α and momentum', { learningRate: (t) => 0.02 / (1 + t), alpha: (t) => 0.9 + 0.01 * t, momentum: (t) => 0.5 + 0.05 * t }],
];
const STEPS = 6;

describe('rmsprop (torch.optim.RMSprop)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, defaults', async () => {
    // v₁ = 0.01·0.25 = 0.0025, d = 0.05 + 1e-8 → θ₁ = 1 − 0.01·0.5/d ≈ 0.9;
    // v₂ = 0.99·0.0025 + 0.0025 = 0.004975, d = 0.0705337 → θ₂ = 0.9 − 0.005/d ≈ 0.8291119
    await expectClose(await constantGradientSteps(rmsprop(), 1, 0.5, 2), [0.9, 0.8291119]);
  });

  it('has its name, resolved options, hyperParams at a step and the state slots it needs', () => {
    const tx = rmsprop({ learningRate: (t) => 0.1 / (1 + t), momentum: 0.9, centered: true });
    expect(tx.name).toBe('rmsprop');
    expect(tx.options).toMatchObject({ alpha: 0.99, epsilon: 1e-8, momentum: 0.9, centered: true, weightDecay: 0 });
    expect(tx.hyperParams?.(4)).toEqual({ learningRate: 0.02, alpha: 0.99, epsilon: 1e-8, momentum: 0.9, weightDecay: 0 });
    const params = tensorsOf(MAIN);
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['count', 'squareAvg', 'gradAvg', 'momentumBuffer']);
    const plain = rmsprop().init(params);
    expect(Object.keys(plain)).toEqual(['count', 'squareAvg']);
    tf.dispose([params, state, plain] as unknown as tf.TensorContainer);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => rmsprop(options), torchRmsprop(options, STEPS), STEPS, BENCH);

  roundTripTest(() => rmsprop({ learningRate: 3e-3, momentum: 0.9, centered: true, weightDecay: 0.01 }), BENCH);
  leakTest([() => rmsprop({}), () => rmsprop({ momentum: 0.9, centered: true, weightDecay: 1e-4 })], BENCH);
  needsParamsTest(() => rmsprop({ weightDecay: 0.1 }), /rmsprop with weightDecay needs the parameters/, BENCH);

  badHyperTests([
    ...badOptions(rmsprop, [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -0.1 }, 'learningRate', /got -0\.1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ alpha: 1 }, 'alpha', /alpha must be in \[0, 1\), got 1/],
      [{ alpha: -0.1 }, 'alpha', /alpha/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\)/],
      [{ momentum: -0.5 }, 'momentum', /momentum must be in \[0, ∞\)/],
      [{ weightDecay: -1 }, 'weightDecay', /weightDecay/],
      [{ centered: 'yes' as unknown as boolean }, 'centered', /centered must be true or false/],
      [{ learningRate: () => -1 }, 'learningRate', /schedule value at step 0/],
    ]),
    ['not an options object', () => rmsprop(3 as unknown as RmspropOptions), 'options', /rmsprop needs an options object/],
  ]);

  it('a schedule that leaves the range later is caught at that step', () => {
    const tx = rmsprop({ alpha: (t) => (t < 2 ? 0.9 : 1.5) });
    expect(() => tx.hyperParams?.(2)).toThrow(/alpha must be in \[0, 1\) \(schedule value at step 2\)/);
  });
});
