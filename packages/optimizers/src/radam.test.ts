import { expectClose } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { type RadamOptions, radam } from './radam.js';
import { at, badHyperTests, constantGradientSteps, gradAt, leakTest, roundTripTest, standardBadInputs, THETA0, trajectoryTests } from './test-kit.js';

/**
 * Independent reference: torch.optim.RAdam's update rule (torch/optim/radam.py, `_single_tensor_radam`,
 * non-capturable branch, with `decoupled_weight_decay`) transcribed literally for scalars in float64.
 * `rectified` records, per step, whether the rho_t > 5 branch ran.
 */
function torchRadam(o: RadamOptions, steps: number, rectified: boolean[] = []): number[] {
  const theta = [...THETA0];
  const expAvg = theta.map(() => 0);
  const expAvgSq = theta.map(() => 0);
  for (let s = 0; s < steps; s++) {
    const [lr, beta1, beta2, eps, weightDecay] = [
      at(o.learningRate, s, 1e-3),
      at(o.beta1, s, 0.9),
      at(o.beta2, s, 0.999),
      at(o.epsilon, s, 1e-8),
      at(o.weightDecay, s, 0),
    ];
    const grads = gradAt(theta);
    const step = s + 1;
    for (let i = 0; i < theta.length; i++) {
      let param = theta[i] as number;
      let grad = grads[i] as number;
      if (weightDecay !== 0) {
        if (o.decoupledWeightDecay)
          param = param * (1 - lr * weightDecay); // param.mul_(1 - lr * weight_decay)
        else grad = grad + weightDecay * param; // grad = grad.add(param, alpha=weight_decay)
      }
      expAvg[i] = (expAvg[i] as number) + (grad - (expAvg[i] as number)) * (1 - beta1); // exp_avg.lerp_(grad, 1 - beta1)
      expAvgSq[i] = (expAvgSq[i] as number) * beta2 + (1 - beta2) * grad * grad;
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
      const biasCorrectedExpAvg = (expAvg[i] as number) / biasCorrection1;
      const rhoInf = 2 / (1 - beta2) - 1;
      const rhoT = rhoInf - (2 * step * beta2 ** step) / biasCorrection2;
      const computeRect = () => (((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) ** 0.5;
      const computeAdaptiveLr = () => biasCorrection2 ** 0.5 / (Math.sqrt(expAvgSq[i] as number) + eps);
      rectified[s] = rhoT > 5.0;
      if (rhoT > 5.0) param = param - biasCorrectedExpAvg * lr * computeAdaptiveLr() * computeRect();
      else param = param - biasCorrectedExpAvg * lr;
      theta[i] = param;
    }
  }
  return theta;
}

const CONFIGS: [string, RadamOptions][] = [
  ['defaults', {}],
  ['learning rate 0.1', { learningRate: 0.1 }],
  ['L2 weight decay', { learningRate: 0.1, weightDecay: 0.1 }],
  ['decoupled weight decay', { learningRate: 0.1, weightDecay: 0.3, decoupledWeightDecay: true }],
  ['beta2 0.9, epsilon 1e-3', { learningRate: 0.1, beta2: 0.9, epsilon: 1e-3 }],
  ['scheduled learning rate and beta1', { learningRate: (t) => 0.2 / (1 + t), beta1: (t) => (t < 4 ? 0.9 : 0.6) }],
];
// The switch: with β₂ = 0.999, ρₜ ≈ 1, 2, 3, 4, 4.996, 5.994, 6.99, 7.99 — rectified from step 6 on.
const STEPS = 8;

describe('radam (torch.optim.RAdam)', () => {
  it("is named 'radam' with PyTorch's defaults and hyper-parameters at a step", () => {
    const tx = radam();
    expect(tx.name).toBe('radam');
    expect(tx.options).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupledWeightDecay: false });
    expect(tx.hyperParams?.(0)).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  });

  it('matches hand-worked numbers: θ₀ = 1, constant g = 0.5, η = 0.1 → SGD-with-momentum steps of η·g while ρₜ ≤ 5', async () => {
    // m/(1−β₁ᵗ) = g for a constant gradient, and ρ₁ … ρ₅ ≤ 5: θ moves by η·g = 0.05 per step.
    await expectClose(await constantGradientSteps(radam({ learningRate: 0.1 }), 1, 0.5, 5), [0.95, 0.9, 0.85, 0.8, 0.75]);
  });

  it('the trajectories below cover both sides of the ρₜ > 5 switch', () => {
    const rectified: boolean[] = [];
    torchRadam({}, STEPS, rectified);
    expect(rectified).toEqual([false, false, false, false, false, true, true, true]);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => radam(options), torchRadam(options, STEPS), STEPS);

  roundTripTest(() => radam({ learningRate: 0.05, weightDecay: 0.01 }));
  leakTest([() => radam(), () => radam({ weightDecay: 1e-2, decoupledWeightDecay: true })]);

  badHyperTests([
    ...standardBadInputs((o) => radam(o as RadamOptions), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']),
    ['decoupledWeightDecay 0', () => radam({ decoupledWeightDecay: 0 as unknown as boolean }), 'decoupledWeightDecay', /true or false/],
  ]);
});
