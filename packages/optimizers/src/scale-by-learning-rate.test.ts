import { HyperParameterError, type Schedule } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { scaleByLearningRate } from './scale-by-learning-rate.js';
import { at, badHyperTests, gradAt, leakTest, roundTripTest, THETA0, trajectoryTests } from './test-kit.js';

/**
 * Independent reference: optax.scale_by_learning_rate (optax/_src/transform.py: `scale(−lr)`, or
 * `scale_by_schedule(lambda count: −lr(count))` for a schedule) applied to the raw gradient, i.e.
 * gradient descent θ ← θ − η(count)·g, in float64.
 */
function optaxGradientDescent(lr: number | Schedule, steps: number): number[] {
  const theta = [...THETA0];
  for (let count = 0; count < steps; count++) {
    const stepSize = -at(lr, count, Number.NaN); // m * learning_rate(count), m = −1 (flip_sign)
    const g = gradAt(theta);
    for (let i = 0; i < theta.length; i++) theta[i] = (theta[i] as number) + stepSize * (g[i] as number);
  }
  return theta;
}

const STEPS = 6;

describe('scaleByLearningRate (optax.scale_by_learning_rate)', () => {
  it('multiplies by −η, or +η with flipSign: false, and evaluates a schedule at the count', async () => {
    const g = { w: tf.tensor1d([1, -2]) };
    const down = scaleByLearningRate(0.1);
    const up = scaleByLearningRate(0.1, { flipSign: false });
    const scheduled = scaleByLearningRate((t) => 0.1 * (t + 1));
    const r1 = down.update(g, down.init(g));
    const r2 = up.update(g, up.init(g));
    const r3 = scheduled.update(g, { count: 4 });
    await expectClose((r1.updates as { w: tf.Tensor }).w, [-0.1, 0.2]);
    await expectClose((r2.updates as { w: tf.Tensor }).w, [0.1, -0.2]);
    await expectClose((r3.updates as { w: tf.Tensor }).w, [-0.5, 1]);
    expect([r1.state, r3.state]).toEqual([{ count: 1 }, { count: 5 }]);
    tf.dispose([g.w, r1.updates, r2.updates, r3.updates] as tf.TensorContainer);
  });

  it('exposes its name, options and the learning rate at a step', () => {
    const tx = scaleByLearningRate((t) => 1 / (1 + t));
    expect(tx.name).toBe('scaleByLearningRate');
    expect(tx.options.flipSign).toBe(true);
    expect(tx.hyperParams?.(3)).toEqual({ learningRate: 0.25 });
  });

  trajectoryTests('constant η = 0.1 (gradient descent)', () => scaleByLearningRate(0.1), optaxGradientDescent(0.1, STEPS), STEPS);
  trajectoryTests(
    'scheduled η = 0.2/(1+t)',
    () => scaleByLearningRate((t) => 0.2 / (1 + t)),
    optaxGradientDescent((t) => 0.2 / (1 + t), STEPS),
    STEPS,
  );

  roundTripTest(() => scaleByLearningRate((t) => 0.1 / (1 + t)));
  leakTest([() => scaleByLearningRate(0.1)]);

  badHyperTests([
    ['learningRate 0', () => scaleByLearningRate(0), 'learningRate', /learningRate must be in \(0, ∞\), got 0/],
    ['learningRate −0.1', () => scaleByLearningRate(-0.1), 'learningRate', /got -0\.1/],
    ['learningRate NaN', () => scaleByLearningRate(Number.NaN), 'learningRate', /finite number/],
    ['learningRate schedule going negative', () => scaleByLearningRate(() => -1), 'learningRate', /schedule value at step 0/],
    ['flipSign "no"', () => scaleByLearningRate(0.1, { flipSign: 'no' as unknown as boolean }), 'flipSign', /flipSign must be true or false/],
    ['options 5', () => scaleByLearningRate(0.1, 5 as unknown as { flipSign: boolean }), 'options', /options object/],
  ]);
  it('a schedule that turns negative later fails at that step (reaching 0 is allowed)', () => {
    const tx = scaleByLearningRate((t) => 0.1 - 0.06 * t);
    const g = { w: tf.ones([1]) };
    expect(() => tx.update(g, { count: 2 })).toThrow(HyperParameterError);
    expect(() => tx.update(g, { count: 2 })).toThrow(/schedule value at step 2/);
    const annealed = scaleByLearningRate((t) => 0.1 - 0.05 * t);
    expect(annealed.hyperParams?.(2)).toEqual({ learningRate: 0 });
    g.w.dispose();
  });
});
