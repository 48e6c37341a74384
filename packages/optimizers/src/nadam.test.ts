import { Optimizer } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type NadamOptions, nadam } from './nadam.js';
import {
  at,
  badHyperTests,
  concat,
  constantGradientSteps,
  gradAt,
  leakTest,
  lossFor,
  read,
  roundTripTest,
  SMALL,
  standardBadInputs,
  THETA0,
  trajectoryTests,
  variablesOf,
} from './test-kit.js';

/**
 * Independent reference: torch.optim.NAdam's update rule (torch/optim/nadam.py, `_single_tensor_nadam`,
 * non-differentiable branch, with `decoupled_weight_decay`) transcribed literally for scalars in
 * float64, `mu_product` kept per parameter as PyTorch's state does.
 */
function torchNadam(o: NadamOptions, steps: number): number[] {
  const theta = [...THETA0];
  const expAvg = theta.map(() => 0);
  const expAvgSq = theta.map(() => 0);
  const muProduct = theta.map(() => 1);
  for (let s = 0; s < steps; s++) {
    const [lr, beta1, beta2, eps] = [at(o.learningRate, s, 2e-3), at(o.beta1, s, 0.9), at(o.beta2, s, 0.999), at(o.epsilon, s, 1e-8)];
    const [weightDecay, momentumDecay] = [at(o.weightDecay, s, 0), at(o.momentumDecay, s, 4e-3)];
    const grads = gradAt(theta);
    const step = s + 1;
    for (let i = 0; i < theta.length; i++) {
      let param = theta[i] as number;
      let grad = grads[i] as number;
      const biasCorrection2 = 1 - beta2 ** step;
      if (weightDecay !== 0) {
        if (o.decoupledWeightDecay)
          param = param * (1 - lr * weightDecay); // param.mul_(1 - lr * weight_decay)
        else grad = grad + weightDecay * param; // grad = grad.add(param, alpha=weight_decay)
      }
      const mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentumDecay));
      const muNext = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
      muProduct[i] = (muProduct[i] as number) * mu; // mu_product *= mu
      expAvg[i] = (expAvg[i] as number) + (grad - (expAvg[i] as number)) * (1 - beta1); // exp_avg.lerp_(grad, 1 - beta1)
      expAvgSq[i] = (expAvgSq[i] as number) * beta2 + (1 - beta2) * grad * grad;
      let denom = Math.sqrt((expAvgSq[i] as number) / biasCorrection2); // exp_avg_sq.div(bias_correction2).sqrt()
      const muProductNext = (muProduct[i] as number) * muNext;
      denom = denom + eps; // denom.add_(eps)
      param = param + (grad / denom) * ((-lr * (1.0 - mu)) / (1.0 - (muProduct[i] as number))); // param.addcdiv_(grad, denom, value=…)
      param = param + ((expAvg[i] as number) / denom) * ((-lr * muNext) / (1.0 - muProductNext)); // param.addcdiv_(exp_avg, denom, value=…)
      theta[i] = param;
    }
  }
  return theta;
}

const CONFIGS: [string, NadamOptions][] = [
  ['defaults', {}],
  ['learning rate 0.1', { learningRate: 0.1 }],
  ['strong momentum decay', { learningRate: 0.1, momentumDecay: 0.5 }],
  ['L2 weight decay', { learningRate: 0.1, weightDecay: 0.1 }],
  ['decoupled weight decay', { learningRate: 0.1, weightDecay: 0.3, decoupledWeightDecay: true, beta2: 0.9 }],
  ['scheduled learning rate, beta1 and momentum decay', { learningRate: (t) => 0.1 / (1 + t), beta1: (t) => 0.9 - 0.05 * t, momentumDecay: (t) => 0.1 * t }],
];
const STEPS = 6;

describe('nadam (torch.optim.NAdam)', () => {
  it("is named 'nadam' with PyTorch's defaults and hyper-parameters at a step", () => {
    const tx = nadam();
    expect(tx.name).toBe('nadam');
    expect(tx.options).toEqual({
      learningRate: 2e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0,
      momentumDecay: 4e-3,
      decoupledWeightDecay: false,
    });
    expect(tx.hyperParams?.(3)).toEqual({ learningRate: 2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, momentumDecay: 4e-3 });
  });

  it('matches a hand-worked first step: θ₀ = 1, g = 0.5, η = 0.1, ψ = 4e-3', async () => {
    // μ₁ = 0.9(1 − ½·0.96^0.004), μ₂ = 0.9(1 − ½·0.96^0.008); m = 0.05, √(v/(1−β₂)) = 0.5;
    // θ₁ = 1 − 0.1(1−μ₁)/(1−μ₁)·0.5/0.5 − 0.1μ₂/(1−μ₁μ₂)·0.05/0.5.
    const mu1 = 0.9 * (1 - 0.5 * 0.96 ** 0.004);
    const mu2 = 0.9 * (1 - 0.5 * 0.96 ** 0.008);
    const expected = 1 - 0.1 - ((0.1 * mu2) / (1 - mu1 * mu2)) * 0.1;
    expect(expected).toBeCloseTo(0.894355, 6); // μ₁ ≈ 0.450073, μ₂ ≈ 0.450147
    await expectClose(await constantGradientSteps(nadam({ learningRate: 0.1 }), 1, 0.5, 1), [expected]);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => nadam(options), torchNadam(options, STEPS), STEPS);

  it('one transformation shared by two optimizers at different steps stays exact (μ product is a function of the count)', async () => {
    const tx = nadam({ learningRate: 0.1, momentumDecay: 0.5 });
    const [p, q] = [variablesOf(SMALL), variablesOf(SMALL)];
    const [a, b] = [new Optimizer(p, tx), new Optimizer(q, tx)];
    for (const [opt, n] of [
      [a, 4],
      [b, 2],
      [a, 2],
      [b, 4],
    ] as const)
      for (let t = 0; t < n; t++) await opt.minimize(lossFor(SMALL));
    const expected = torchNadam({ learningRate: 0.1, momentumDecay: 0.5 }, STEPS);
    await expectClose(concat(await read(p)), expected, { rtol: 1e-5 });
    await expectClose(concat(await read(q)), expected, { rtol: 1e-5 });
    a.dispose();
    b.dispose();
    tf.dispose([p, q] as unknown as tf.TensorContainer);
  });

  roundTripTest(() => nadam({ learningRate: 0.05, momentumDecay: 0.2, weightDecay: 0.01 }));
  leakTest([() => nadam(), () => nadam({ weightDecay: 1e-2, decoupledWeightDecay: true })]);

  badHyperTests([
    ...standardBadInputs((o) => nadam(o as NadamOptions), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']),
    ['momentumDecay −1', () => nadam({ momentumDecay: -1 }), 'momentumDecay', /momentumDecay must be in \[0, ∞\)/],
    ['decoupledWeightDecay "no"', () => nadam({ decoupledWeightDecay: 'no' as unknown as boolean }), 'decoupledWeightDecay', /true or false/],
  ]);
});
