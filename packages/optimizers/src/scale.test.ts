import type { Schedule } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { scale } from './scale.js';
import { at, badHyperTests, gradAt, leakTest, roundTripTest, THETA0, trajectoryTests } from './test-kit.js';

/**
 * Independent reference: optax.scale(step_size) (updates * step_size) and, for a schedule,
 * optax.scale_by_schedule (optax/_src/transform.py: step_size_fn(state.count) * updates, then
 * count + 1), applied to the raw gradient and added to θ, in float64.
 */
function optaxScale(factor: number | Schedule, steps: number): number[] {
  const theta = [...THETA0];
  for (let count = 0; count < steps; count++) {
    const s = at(factor, count, Number.NaN);
    const g = gradAt(theta);
    for (let i = 0; i < theta.length; i++) theta[i] = (theta[i] as number) + s * (g[i] as number);
  }
  return theta;
}

const STEPS = 6;

describe('scale (optax.scale)', () => {
  it('multiplies the updates by the factor, with no sign flip', async () => {
    const g = { w: tf.tensor1d([1, -2]) };
    const tx = scale(-0.5);
    const r = tx.update(g, tx.init(g));
    await expectClose((r.updates as { w: tf.Tensor }).w, [-0.5, 1]);
    const r2 = scale((t) => t).update(g, { count: 3 });
    await expectClose((r2.updates as { w: tf.Tensor }).w, [3, -6]);
    expect(r2.state).toEqual({ count: 4 });
    tf.dispose([g.w, r.updates, r2.updates] as tf.TensorContainer);
  });

  it('exposes its name, options and the factor at a step', () => {
    expect(scale(2).name).toBe('scale');
    expect(scale(2).options).toEqual({ factor: 2 });
    expect(scale((t) => -t).hyperParams?.(3)).toEqual({ factor: -3 });
  });

  trajectoryTests('scale(−0.1) (gradient descent)', () => scale(-0.1), optaxScale(-0.1, STEPS), STEPS);
  trajectoryTests(
    'scheduled factor −0.2/(1+t)',
    () => scale((t) => -0.2 / (1 + t)),
    optaxScale((t) => -0.2 / (1 + t), STEPS),
    STEPS,
  );

  roundTripTest(() => scale((t) => -0.1 / (1 + t)));
  leakTest([() => scale(-0.1)]);

  badHyperTests([
    ['factor NaN', () => scale(Number.NaN), 'factor', /factor must be a finite number/],
    ['factor Infinity', () => scale(Number.POSITIVE_INFINITY), 'factor', /finite number/],
    ['factor schedule returning NaN', () => scale(() => Number.NaN), 'factor', /schedule value at step 0/],
  ]);
});
