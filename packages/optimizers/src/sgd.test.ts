import { Optimizer } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type SgdOptions, sgd } from './sgd.js';
import { at, badHyperTests, badOptions, constantGradientSteps, gradAt, leakTest, roundTripTest, THETA0, trajectoryTests } from './test-kit.js';

const BENCH = { reference: "PyTorch's" };

/**
 * Independent reference: torch.optim.SGD's update rule (torch/optim/sgd.py, `_single_tensor_sgd`)
 * transcribed literally for scalars in float64, on the problem of test-kit.ts (SMALL).
 */
function torchSgd(o: SgdOptions, steps: number): number[] {
  const theta = [...THETA0];
  const buf: (number | null)[] = theta.map(() => null);
  for (let t = 0; t < steps; t++) {
    const [lr, momentum, dampening, wd] = [at(o.learningRate, t, 0), at(o.momentum, t, 0), at(o.dampening, t, 0), at(o.weightDecay, t, 0)];
    const grads = gradAt(theta);
    for (let i = 0; i < theta.length; i++) {
      const p = theta[i] as number;
      let dp = grads[i] as number;
      if (wd !== 0) dp = dp + wd * p;
      if (momentum !== 0) {
        const prev = buf[i];
        const next = prev == null ? dp : momentum * prev + (1 - dampening) * dp;
        buf[i] = next;
        dp = o.nesterov ? dp + momentum * next : next;
      }
      theta[i] = p - lr * dp;
    }
  }
  return theta;
}

const CONFIGS: [string, SgdOptions][] = [
  ['plain', { learningRate: 0.1 }],
  ['weight decay', { learningRate: 0.1, weightDecay: 0.05 }],
  ['momentum', { learningRate: 0.05, momentum: 0.9 }],
  ['momentum + dampening', { learningRate: 0.05, momentum: 0.9, dampening: 0.3 }],
  ['nesterov + weight decay', { learningRate: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 }],
  ['scheduled learning rate and momentum', { learningRate: (t) => 0.1 / (1 + t), momentum: (t) => Math.min(0.9, 0.5 + 0.1 * t) }],
];
const STEPS = 6;

describe('sgd (torch.optim.SGD)', () => {
  it('matches hand-worked numbers: θ₀ = 1, g = 0.5, η = 0.1, μ = 0.9, τ = 0.1', async () => {
    // b₁ = g = 0.5 → θ = 0.95; b₂ = 0.9·0.5 + 0.9·0.5 = 0.9 → θ = 0.86; b₃ = 0.81 + 0.45 = 1.26 → θ = 0.734
    await expectClose(await constantGradientSteps(sgd({ learningRate: 0.1, momentum: 0.9, dampening: 0.1 }), 1, 0.5, 3), [0.95, 0.86, 0.734]);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => sgd(options), torchSgd(options, STEPS), STEPS, BENCH);

  roundTripTest(() => sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true }), BENCH);
  leakTest([() => sgd({ learningRate: 1e-3 }), () => sgd({ learningRate: 1e-3, momentum: 0.9, weightDecay: 1e-4 })], { ...BENCH, viaMinimize: true });

  it('propagates a non-finite gradient (as PyTorch) instead of hiding it', async () => {
    const params = { w: tf.variable(tf.tensor1d([1, 2])) };
    const opt = new Optimizer(params, sgd({ learningRate: 0.1 }));
    const g = { w: tf.tensor1d([Number.NaN, 1]) };
    opt.step(g);
    const [w0, w1] = await params.w.data();
    expect(w0).toBeNaN();
    expect(w1).toBeCloseTo(1.9, 6);
    opt.dispose();
    tf.dispose([params.w, g.w]);
  });

  badHyperTests([
    ...badOptions(sgd, [
      [{ learningRate: 0 }, 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
      [{ learningRate: -0.1 }, 'learningRate', /got -0\.1/],
      [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
      [{ learningRate: 0.1, momentum: -0.5 }, 'momentum', /momentum must be in \[0, ∞\)/],
      [{ learningRate: 0.1, dampening: 1.5 }, 'dampening', /dampening must be in \[0, 1\]/],
      [{ learningRate: 0.1, weightDecay: -1 }, 'weightDecay', /weightDecay/],
      [{ learningRate: 0.1, nesterov: true }, 'nesterov', /Nesterov momentum requires a momentum > 0 and zero dampening/],
      [{ learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, 'nesterov', /zero dampening/],
      [{ learningRate: () => -1 }, 'learningRate', /schedule value at step 0/],
    ]),
    ['a missing options object', () => sgd(undefined as unknown as SgdOptions), 'options', /sgd needs an options object/],
  ]);
});
