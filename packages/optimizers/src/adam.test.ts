import { TreeMismatchError } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type AdamOptions, adam } from './adam.js';
import { torchAdam } from './adam-references.js';
import { badHyperTests, constantGradientSteps, leakTest, needsParamsTest, roundTripTest, standardBadInputs, trajectoryTests } from './test-kit.js';

// Reference: torchAdam in adam-references.ts (torch/optim/adam.py, `_single_tensor_adam`, float64).
const CONFIGS: [string, AdamOptions][] = [
  ['defaults', {}],
  ['learning rate 0.1', { learningRate: 0.1 }],
  ['amsgrad', { learningRate: 0.1, beta2: 0.6, amsgrad: true }],
  ['L2 weight decay', { learningRate: 0.1, weightDecay: 0.1 }],
  ['amsgrad + weight decay + epsilon', { learningRate: 0.05, beta1: 0.8, beta2: 0.7, epsilon: 1e-3, amsgrad: true, weightDecay: 0.05 }],
  [
    'scheduled learning rate, betas and weight decay',
    { learningRate: (t) => 0.1 / (1 + t), beta1: (t) => (t < 3 ? 0.9 : 0.5), beta2: (t) => 0.99 - 0.05 * t, weightDecay: (t) => 0.02 * t },
  ],
];
const STEPS = 6;

describe('adam (torch.optim.Adam)', () => {
  it('matches hand-worked numbers: θ₀ = 1, constant g = 0.5, η = 0.1 → steps of exactly η', async () => {
    // m̂ = g and v̂ = g² at every step for a constant gradient, so θ moves by η·g/(|g| + ε) ≈ η.
    await expectClose(await constantGradientSteps(adam({ learningRate: 0.1 }), 1, 0.5, 3), [0.9, 0.8, 0.7]);
  });

  it('exposes its name, resolved options (PyTorch defaults) and hyper-parameters at a step', () => {
    const tx = adam({ learningRate: (t) => 0.1 / (1 + t) });
    expect(tx.name).toBe('adam');
    expect(tx.options).toMatchObject({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, amsgrad: false, weightDecay: 0 });
    expect(tx.hyperParams?.(4)).toEqual({ learningRate: 0.02, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    expect(adam().options.learningRate).toBe(1e-3);
  });

  it('keeps { count, mu, nu } and, with amsgrad, nuMax', () => {
    const params = { w: tf.zeros([2]) };
    const plain = adam().init(params);
    const ams = adam({ amsgrad: true }).init(params);
    expect(Object.keys(plain)).toEqual(['count', 'mu', 'nu']);
    expect(Object.keys(ams)).toEqual(['count', 'mu', 'nu', 'nuMax']);
    tf.dispose([params.w, plain as tf.TensorContainer, ams as tf.TensorContainer]);
  });

  it('the amsgrad and weight-decay configurations do change the trajectory (the tests below can fail)', () => {
    const differs = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - (b[i] as number)))) > 1e-3;
    expect(differs(torchAdam({ learningRate: 0.1, beta2: 0.6, amsgrad: true }, STEPS, false), torchAdam({ learningRate: 0.1, beta2: 0.6 }, STEPS, false))).toBe(
      true,
    );
    expect(differs(torchAdam({ learningRate: 0.1, weightDecay: 0.1 }, STEPS, false), torchAdam({ learningRate: 0.1 }, STEPS, false))).toBe(true);
  });

  for (const [what, options] of CONFIGS) trajectoryTests(what, () => adam(options), torchAdam(options, STEPS, false), STEPS);

  roundTripTest(() => adam({ learningRate: 0.05, amsgrad: true, weightDecay: 0.01 }));
  leakTest([() => adam({ learningRate: 1e-3 }), () => adam({ learningRate: 1e-3, amsgrad: true, weightDecay: 1e-4 })]);

  it('gradients that do not fit the state get a TreeMismatchError naming the path (no silent broadcast)', () => {
    const tx = adam();
    const params = { w: tf.zeros([3]), b: tf.zeros([2]) };
    const state = tx.init(params);
    const wrongShape = { w: tf.ones([1]), b: tf.ones([2]) };
    const missing = { w: tf.ones([3]) };
    expect(() => tx.update(wrongShape, state, params)).toThrow(TreeMismatchError);
    expect(() => tx.update(wrongShape, state, params)).toThrow(/gradient at 'w' has shape \[1\] but the parameter has shape \[3\]/);
    expect(() => tx.update(missing, state, params)).toThrow(TreeMismatchError);
    tf.dispose([params, state, wrongShape, missing] as tf.TensorContainer);
  });

  needsParamsTest(() => adam({ weightDecay: 0.1 }), /needs the parameters/);

  badHyperTests([
    ...standardBadInputs((o) => adam(o as AdamOptions), ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']),
    ['amsgrad "yes"', () => adam({ amsgrad: 'yes' as unknown as boolean }), 'amsgrad', /amsgrad must be true or false/],
  ]);
  it('a schedule that leaves the range later fails at that step', () => {
    const tx = adam({ beta2: (t) => (t < 1 ? 0.999 : 1) });
    const g = { w: tf.ones([2]) };
    let state = tx.init(g);
    const r = tf.tidy(() => tx.update(g, state) as unknown as tf.TensorContainerObject) as unknown as ReturnType<typeof tx.update>;
    tf.dispose(state as tf.TensorContainer);
    state = r.state;
    expect(() => tx.update(g, state)).toThrow(/beta2 must be in \[0, 1\) \(schedule value at step 1\), got 1/);
    tf.dispose([g.w, r.updates as tf.TensorContainer, state as tf.TensorContainer]);
  });
});
