import { expectClose } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { type AdadeltaOptions, adadelta } from './adadelta.js';
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
  trajectoryTests,
} from './test-kit.js';

const BENCH = { problem: MAIN, tolerance: {}, reference: "PyTorch's" };

/**
 * Independent reference: torch/optim/adadelta.py, `_single_tensor_adadelta`, transcribed literally
 * per element in float64: grad += weight_decay·param; square_avg = square_avg·rho + (1 − rho)·grad²;
 * std = sqrt(square_avg + eps); delta = sqrt(acc_delta + eps) / std · grad;
 * acc_delta = acc_delta·rho + (1 − rho)·delta²; param −= lr·delta. Schedules are evaluated at the
 * step index t (0-based), as gradkit does.
 */
function torchAdadelta(o: AdadeltaOptions, steps: number): Flat {
  return perLeaf(MAIN, (leaf) => {
    const theta = [...leaf.theta0];
    const squareAvg = theta.map(() => 0);
    const accDelta = theta.map(() => 0);
    for (let t = 0; t < steps; t++) {
      const [lr, rho, eps, wd] = [at(o.learningRate, t, 1), at(o.rho, t, 0.9), at(o.epsilon, t, 1e-6), at(o.weightDecay, t, 0)];
      for (let i = 0; i < theta.length; i++) {
        const param = theta[i] as number;
        let grad = gradOf(leaf, i, param);
        if (wd !== 0) grad = grad + wd * param;
        squareAvg[i] = (squareAvg[i] as number) * rho + (1 - rho) * grad * grad;
        const std = Math.sqrt((squareAvg[i] as number) + eps);
        const delta = (Math.sqrt((accDelta[i] as number) + eps) / std) * grad;
        accDelta[i] = (accDelta[i] as number) * rho + (1 - rho) * delta * delta;
        theta[i] = param - lr * delta;
      }
    }
    return theta;
  });
}

const CONFIGS: [string, AdadeltaOptions][] = [
  ['defaults', {}],
  ['weight decay', { weightDecay: 0.1, epsilon: 1e-3 }],
  ['ρ = 0.5 and a large ε (large steps)', { rho: 0.5, epsilon: 1e-2 }],
  ['learning rate 0.5', { learningRate: 0.5, epsilon: 1e-3 }],
  ['ρ = 1 (PyTorch allows it: plain SGD with step η)', { rho: 1, learningRate: 0.1 }],
  ['scheduled learning rate, ρ and ε', { learningRate: (t) => 1 / (1 + t), rho: (t) => 0.5 + 0.05 * t, epsilon: (t) => 1e-3 * (t + 1) }],
];
const STEPS = 6;

describe('adadelta (torch.optim.Adadelta)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, defaults', async () => {
    // v₁ = 0.025, Δ₁ = √1e-6/√0.025001·0.5 = 0.00316221 → θ₁ = 0.99683779; u₁ = 0.1·Δ₁² = 1e-6;
    // v₂ = 0.0475, Δ₂ = √2e-6/√0.047501·0.5 = 0.00324436 → θ₂ = 0.99359342
    await expectClose(await constantGradientSteps(adadelta(), 1, 0.5, 2), [0.99683779, 0.99359342], { rtol: 1e-6, atol: 1e-7 });
  });

  it('has its name, resolved options and hyperParams at a step', () => {
    const tx = adadelta({ rho: (t) => 0.5 + 0.1 * t });
    expect(tx.name).toBe('adadelta');
    expect(tx.options).toMatchObject({ learningRate: 1, epsilon: 1e-6, weightDecay: 0 });
    expect(tx.hyperParams?.(2)).toEqual({ learningRate: 1, rho: 0.7, epsilon: 1e-6, weightDecay: 0 });
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => adadelta(options), torchAdadelta(options, STEPS), STEPS, BENCH);

  roundTripTest(() => adadelta({ rho: 0.8, epsilon: 1e-3, weightDecay: 0.01 }), BENCH);
  leakTest([() => adadelta({ weightDecay: 1e-4 })], BENCH);
  needsParamsTest(() => adadelta({ weightDecay: 0.1 }), /adadelta with weightDecay needs the parameters/, BENCH);

  badHyperTests(
    badOptions(adadelta, [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -1 }, 'learningRate', /got -1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ rho: 1.01 }, 'rho', /rho must be in \[0, 1\], got 1\.01/],
      [{ rho: -0.1 }, 'rho', /rho/],
      [{ epsilon: 0 }, 'epsilon', /epsilon must be in \(0, ∞\)/],
      [{ epsilon: -1e-6 }, 'epsilon', /epsilon/],
      [{ weightDecay: -1 }, 'weightDecay', /weightDecay/],
      [{ rho: () => 2 }, 'rho', /schedule value at step 0/],
    ]),
  );
});
