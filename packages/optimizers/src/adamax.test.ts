import { expectClose } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import { type AdamaxOptions, adamax } from './adamax.js';
import { at, badHyperTests, constantGradientSteps, gradAt, leakTest, roundTripTest, standardBadInputs, THETA0, trajectoryTests } from './test-kit.js';

/**
 * Independent reference: torch.optim.Adamax's update rule (torch/optim/adamax.py,
 * `_single_tensor_adamax`, non-differentiable branch) transcribed literally for scalars in float64.
 */
function torchAdamax(o: AdamaxOptions, steps: number): number[] {
  const theta = [...THETA0];
  const expAvg = theta.map(() => 0);
  const expInf = theta.map(() => 0);
  for (let s = 0; s < steps; s++) {
    const [lr, beta1, beta2, eps, weightDecay] = [
      at(o.learningRate, s, 2e-3),
      at(o.beta1, s, 0.9),
      at(o.beta2, s, 0.999),
      at(o.epsilon, s, 1e-8),
      at(o.weightDecay, s, 0),
    ];
    const grads = gradAt(theta);
    const step = s + 1;
    for (let i = 0; i < theta.length; i++) {
      const param = theta[i] as number;
      let grad = grads[i] as number;
      if (weightDecay !== 0) grad = grad + weightDecay * param; // grad = grad.add(param, alpha=weight_decay)
      expAvg[i] = (expAvg[i] as number) + (grad - (expAvg[i] as number)) * (1 - beta1); // exp_avg.lerp_(grad, 1 - beta1)
      expInf[i] = Math.max((expInf[i] as number) * beta2, Math.abs(grad) + eps); // torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)
      const biasCorrection = 1 - beta1 ** step;
      const clr = lr / biasCorrection;
      theta[i] = param - (clr * (expAvg[i] as number)) / (expInf[i] as number); // param.addcdiv_(exp_avg, exp_inf, value=-clr)
    }
  }
  return theta;
}

const CONFIGS: [string, AdamaxOptions][] = [
  ['defaults', {}],
  ['learning rate 0.1', { learningRate: 0.1 }],
  ['fast-decaying infinity norm', { learningRate: 0.1, beta2: 0.5 }],
  ['weight decay + epsilon', { learningRate: 0.1, weightDecay: 0.1, epsilon: 1e-2 }],
  ['scheduled learning rate and beta2', { learningRate: (t) => 0.2 / (1 + t), beta2: (t) => 0.9 - 0.1 * t }],
];
const STEPS = 6;

describe('adamax (torch.optim.Adamax)', () => {
  it('matches hand-worked numbers: θ₀ = 1, constant g = 0.5, η = 0.1 → steps of η', async () => {
    // u = |g| + ε and m/(1−β₁ᵗ) = g, so θ moves by η·g/(|g| + ε) ≈ η.
    await expectClose(await constantGradientSteps(adamax({ learningRate: 0.1 }), 1, 0.5, 3), [0.9, 0.8, 0.7]);
  });

  it("is named 'adamax' with PyTorch's defaults and hyper-parameters at a step", () => {
    const tx = adamax();
    expect(tx.name).toBe('adamax');
    expect(tx.options).toEqual({ learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    expect(tx.hyperParams?.(7)).toEqual({ learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  });

  it('the infinity norm decays in the beta2 = 0.5 configuration (the test below can fail)', () => {
    const gap = Math.max(
      ...torchAdamax({ learningRate: 0.1, beta2: 0.5 }, STEPS).map((x, i) => Math.abs(x - (torchAdamax({ learningRate: 0.1 }, STEPS)[i] as number))),
    );
    expect(gap).toBeGreaterThan(1e-3);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => adamax(options), torchAdamax(options, STEPS), STEPS);

  roundTripTest(() => adamax({ learningRate: 0.05, weightDecay: 0.01 }));
  leakTest([() => adamax({ weightDecay: 1e-4 })]);

  badHyperTests(standardBadInputs((o) => adamax(o as AdamaxOptions), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']));
});
