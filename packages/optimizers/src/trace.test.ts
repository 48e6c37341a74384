import { chain, type Schedule } from '@gradkit/core';
import { expectClose } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { scaleByLearningRate } from './scale-by-learning-rate.js';
import { at, badHyperTests, constantGradientSteps, gradAt, leakTest, roundTripTest, THETA0, trajectoryTests } from './test-kit.js';
import { type TraceOptions, trace } from './trace.js';

/**
 * Independent reference: optax.trace (optax/transforms/_accumulation.py, `trace`: f = g + decay·t; new_trace = f(updates, trace); updates = f(updates, new_trace) if
 * nesterov else new_trace) followed by scale_by_learning_rate(lr), transcribed for scalars in float64.
 */
function optaxTrace(o: { decay: number | Schedule; nesterov?: boolean }, lr: number, steps: number): number[] {
  const theta = [...THETA0];
  const tr = theta.map(() => 0);
  for (let count = 0; count < steps; count++) {
    const decay = at(o.decay, count, Number.NaN);
    const g = gradAt(theta);
    for (let i = 0; i < theta.length; i++) {
      const f = (u: number, t: number) => u + decay * t;
      tr[i] = f(g[i] as number, tr[i] as number);
      const update = o.nesterov ? f(g[i] as number, tr[i] as number) : (tr[i] as number);
      theta[i] = (theta[i] as number) - lr * update;
    }
  }
  return theta;
}

const CONFIGS: [string, TraceOptions][] = [
  ['decay 0.9', { decay: 0.9 }],
  ['nesterov, decay 0.8', { decay: 0.8, nesterov: true }],
  ['scheduled decay', { decay: (t) => Math.min(0.9, 0.3 + 0.2 * t) }],
];
const STEPS = 6;
const LR = 0.05;

describe('trace (optax.trace)', () => {
  it('matches hand-worked numbers: θ₀ = 1, constant g = 0.5, μ = 0.9, η = 0.1', async () => {
    // trace: 0.5, 0.95, 1.355 → θ: 0.95, 0.855, 0.7195
    await expectClose(await constantGradientSteps(chain(trace({ decay: 0.9 }), scaleByLearningRate(0.1)), 1, 0.5, 3), [0.95, 0.855, 0.7195]);
  });

  it('exposes its name, options and the decay at a step; state { count, trace }', () => {
    const tx = trace({ decay: (t) => 0.5 + 0.1 * t });
    expect(tx.name).toBe('trace');
    expect(tx.options.nesterov).toBe(false);
    expect(tx.hyperParams?.(2)).toEqual({ decay: 0.7 });
    const params = { w: tf.zeros([2]) };
    const state = tx.init(params);
    expect(Object.keys(state)).toEqual(['count', 'trace']);
    tf.dispose([params.w, state as tf.TensorContainer]);
  });

  for (const [what, options] of CONFIGS) {
    trajectoryTests(`${what}, then scaleByLearningRate(${LR})`, () => chain(trace(options), scaleByLearningRate(LR)), optaxTrace(options, LR, STEPS), STEPS);
  }

  roundTripTest(() => chain(trace({ decay: 0.9, nesterov: true }), scaleByLearningRate(LR)));
  leakTest([() => trace({ decay: 0.9 }), () => trace({ decay: 0.9, nesterov: true })]);

  badHyperTests([
    ['decay −0.1', () => trace({ decay: -0.1 }), 'decay', /decay must be in \[0, ∞\)/],
    ['decay NaN', () => trace({ decay: Number.NaN }), 'decay', /finite number/],
    ['decay missing', () => trace({} as TraceOptions), 'decay', /finite number/],
    ['nesterov 1', () => trace({ decay: 0.9, nesterov: 1 as unknown as boolean }), 'nesterov', /nesterov must be true or false/],
    ['no options', () => trace(undefined as unknown as TraceOptions), 'options', /trace needs an options object/],
  ]);
});
