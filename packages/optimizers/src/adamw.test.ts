import { expectClose } from '@gradkit/testing';
import { describe, expect, it } from 'vitest';
import type { AdamOptions } from './adam.js';
import { torchAdam } from './adam-references.js';
import { adamw } from './adamw.js';
import { badHyperTests, constantGradientSteps, leakTest, needsParamsTest, roundTripTest, standardBadInputs, trajectoryTests } from './test-kit.js';

// Reference: torchAdam(…, decoupled = true) in adam-references.ts (torch/optim/adam.py,
// `_single_tensor_adam` with decoupled_weight_decay, i.e. torch.optim.AdamW; float64).
const CONFIGS: [string, AdamOptions][] = [
  ['defaults (weight decay 1e-2)', {}],
  ['learning rate 0.1, default weight decay', { learningRate: 0.1 }],
  ['strong decoupled weight decay', { learningRate: 0.1, weightDecay: 0.5 }],
  ['amsgrad + weight decay', { learningRate: 0.1, beta2: 0.6, amsgrad: true, weightDecay: 0.2 }],
  ['no weight decay (plain Adam)', { learningRate: 0.1, weightDecay: 0 }],
  ['scheduled learning rate and weight decay', { learningRate: (t) => 0.1 / (1 + t), weightDecay: (t) => 0.1 * t, beta1: (t) => (t < 2 ? 0.9 : 0.7) }],
];
const STEPS = 6;

describe('adamw (torch.optim.AdamW)', () => {
  it('matches hand-worked numbers: θ₀ = 1, constant g = 0.5, η = 0.1, λ = 0.1', async () => {
    // θ ← θ(1 − ηλ) − η (the Adam step of a constant gradient is η): 0.99 − 0.1, 0.89·0.99 − 0.1, …
    await expectClose(await constantGradientSteps(adamw({ learningRate: 0.1, weightDecay: 0.1 }), 1, 0.5, 3), [0.89, 0.7811, 0.673289]);
  });

  it("is named 'adamw', with PyTorch's defaults (weight decay 1e-2) and hyper-parameters at a step", () => {
    const tx = adamw({ weightDecay: (t) => 0.01 * (t + 1) });
    expect(tx.name).toBe('adamw');
    expect(adamw().options).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, amsgrad: false, weightDecay: 1e-2 });
    expect(tx.hyperParams?.(2)).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.03 });
  });

  it('decoupled decay differs from the L2 decay of adam on this problem (the tests below can fail)', () => {
    const o = { learningRate: 0.1, weightDecay: 0.5 };
    const gap = Math.max(...torchAdam(o, STEPS, true).map((x, i) => Math.abs(x - (torchAdam(o, STEPS, false)[i] as number))));
    expect(gap).toBeGreaterThan(1e-3);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => adamw(options), torchAdam(options, STEPS, true), STEPS);

  roundTripTest(() => adamw({ learningRate: 0.05, amsgrad: true }));
  leakTest([() => adamw(), () => adamw({ amsgrad: true })]);

  needsParamsTest(() => adamw(), /adamw with a non-zero weightDecay needs the parameters/);

  badHyperTests([
    ...standardBadInputs((o) => adamw(o as AdamOptions), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']),
    ['amsgrad 1', () => adamw({ amsgrad: 1 as unknown as boolean }), 'amsgrad', /amsgrad must be true or false/],
  ]);
});
