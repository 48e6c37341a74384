// The hostile user: careless, foreign (PyTorch, optax, Keras) and wrong inputs to every schedule,
// reduceOnPlateau and fitSteps. Each must be a typed GradkitError naming the option or argument,
// before anything changed.
import { chain, type GradientTransformation, Optimizer, scheduleFromConfig, transformationFromConfig } from '@gradkit/core';
import { sgd } from '@gradkit/optimizers';
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe } from 'vitest';
import {
  constant,
  cosineDecay,
  exponentialDecay,
  fitSteps,
  inverseTimeDecay,
  joinSchedules,
  linearWarmup,
  oneCycle,
  piecewiseConstant,
  polynomialDecay,
  reduceOnPlateau,
  stepDecay,
  warmupCosineDecay,
} from './index.js';

const bad =
  (f: (...args: never[]) => unknown, ...args: unknown[]) =>
  () =>
    (f as (...a: unknown[]) => unknown)(...args);

/** What the Optimizer cases made, released after the suite (the harness compares them after each case returns). */
const made: { dispose(): void }[] = [];
/** A reference-path Optimizer over { w } after one step with a loss; `watch`es it and w, then makes the bad call. */
async function optimizerCase(
  ctx: { watch: (...t: (tf.Tensor | Optimizer)[]) => Promise<void> },
  tx: GradientTransformation,
  call: (opt: Optimizer, g: { w: tf.Tensor }) => void,
) {
  const params = { w: tf.variable(tf.tensor1d([1, 2])) };
  const opt = new Optimizer(params, tx);
  const g = { w: tf.tensor1d([0.5, -1]) };
  const loss = tf.scalar(1);
  made.push(opt, params.w, g.w, loss);
  opt.step(g, { loss });
  await ctx.watch(opt, params.w);
  call(opt, g);
}
afterAll(() => {
  for (const m of made.splice(0)) m.dispose();
});

describe('schedules, hostile', () =>
  hostileCases([
    // PyTorch / optax spellings
    { input: 'cosineDecay({ initial: 0.1, T_max: 100 })', names: 'T_max', run: bad(cosineDecay, { initial: 0.1, T_max: 100 }) },
    {
      input: 'cosineDecay({ initial: 0.1, decaySteps: 100, eta_min: 1e-3 })',
      names: 'eta_min',
      run: bad(cosineDecay, { initial: 0.1, decaySteps: 100, eta_min: 1e-3 }),
    },
    { input: 'oneCycle({ max_lr: 0.1, totalSteps: 100 })', names: 'max_lr', run: bad(oneCycle, { max_lr: 0.1, totalSteps: 100 }) },
    { input: 'oneCycle({ maxValue: 0.1, total_steps: 100 })', names: 'total_steps', run: bad(oneCycle, { maxValue: 0.1, total_steps: 100 }) },
    { input: 'oneCycle({ …, pct_start: 0.25 })', names: 'pct_start', run: bad(oneCycle, { maxValue: 0.1, totalSteps: 100, pct_start: 0.25 }) },
    {
      input: "oneCycle({ …, anneal_strategy: 'linear' })",
      names: 'anneal_strategy',
      run: bad(oneCycle, { maxValue: 0.1, totalSteps: 100, anneal_strategy: 'linear' }),
    },
    { input: 'oneCycle({ …, div_factor: 10 })', names: 'div_factor', run: bad(oneCycle, { maxValue: 0.1, totalSteps: 100, div_factor: 10 }) },
    { input: 'stepDecay({ initial: 0.1, step_size: 30 })', names: 'step_size', run: bad(stepDecay, { initial: 0.1, step_size: 30 }) },
    { input: 'piecewiseConstant({ milestones: [30], values })', names: 'milestones', run: bad(piecewiseConstant, { milestones: [30], values: [0.1, 0.01] }) },
    {
      input: 'exponentialDecay({ …, transition_steps: 10 })',
      names: 'transition_steps',
      run: bad(exponentialDecay, { initial: 0.1, gamma: 0.9, transition_steps: 10 }),
    },
    { input: 'exponentialDecay({ initial: 0.1, decay_rate: 0.9 })', names: 'decay_rate', run: bad(exponentialDecay, { initial: 0.1, decay_rate: 0.9 }) },
    { input: 'linearWarmup({ peak: 0.1, warmup_steps: 10 })', names: 'warmup_steps', run: bad(linearWarmup, { peak: 0.1, warmup_steps: 10 }) },
    {
      input: 'warmupCosineDecay({ peak_value: 1e-3, warmupSteps: 10, decaySteps: 100 })',
      names: 'peak_value',
      run: bad(warmupCosineDecay, { peak_value: 1e-3, warmupSteps: 10, decaySteps: 100 }),
    },
    { input: 'polynomialDecay({ initial: 0.1, total_iters: 100 })', names: 'total_iters', run: bad(polynomialDecay, { initial: 0.1, total_iters: 100 }) },
    { input: 'inverseTimeDecay({ initial: 0.1, decayrate: 0.5 })', names: 'decayrate', run: bad(inverseTimeDecay, { initial: 0.1, decayrate: 0.5 }) },
    // wrong values and types
    { input: 'cosineDecay()', names: 'options', run: bad(cosineDecay) },
    { input: 'cosineDecay(0.1)', names: 'options', run: bad(cosineDecay, 0.1) },
    { input: 'cosineDecay({ …, final: null })', names: 'final', run: bad(cosineDecay, { initial: 0.1, decaySteps: 100, final: null }) },
    { input: "cosineDecay({ initial: '0.1', decaySteps: 100 })", names: 'initial', run: bad(cosineDecay, { initial: '0.1', decaySteps: 100 }) },
    { input: 'cosineDecay({ initial: 0.1, decaySteps: 0 })', names: 'decaySteps', run: bad(cosineDecay, { initial: 0.1, decaySteps: 0 }) },
    { input: 'oneCycle({ maxValue: 1e39, totalSteps: 10 }) (not a float32)', names: 'maxValue', run: bad(oneCycle, { maxValue: 1e39, totalSteps: 10 }) },
    { input: "exponentialDecay({ …, staircase: 'yes' })", names: 'staircase', run: bad(exponentialDecay, { initial: 0.1, gamma: 0.9, staircase: 'yes' }) },
    { input: 'piecewiseConstant({ boundaries: [10], values: [0.1] })', names: 'values', run: bad(piecewiseConstant, { boundaries: [10], values: [0.1] }) },
    {
      input: 'warmupCosineDecay({ peak: 0.1, warmupSteps: 100, decaySteps: 100 })',
      names: 'decaySteps',
      run: bad(warmupCosineDecay, { peak: 0.1, warmupSteps: 100, decaySteps: 100 }),
    },
    { input: 'constant(NaN)', names: 'value', run: bad(constant, Number.NaN) },
    { input: 'constant({ value: 1 })', names: 'value', run: bad(constant, { value: 1 }) },
    { input: 'joinSchedules([constant(1), 0.5], [10])', names: 'schedules', run: () => joinSchedules([constant(1), 0.5 as never], [10]) },
    { input: 'joinSchedules([constant(1), constant(2)], [10, 20])', names: 'boundaries', run: () => joinSchedules([constant(1), constant(2)], [10, 20]) },
    { input: 'joinSchedules(constant(1), [])', names: 'schedules', run: () => joinSchedules(constant(1) as never, []) },
    { input: "joinSchedules([constant(1), () => 'x'], [5])(7)", names: 'schedules', run: () => joinSchedules([constant(1), (() => 'x') as never], [5])(7) },
    { input: 'cosineDecay(…)(-1)', names: 'step', run: () => cosineDecay({ initial: 0.1, decaySteps: 10 })(-1) },
    { input: 'cosineDecay(…)(1.5)', names: 'step', run: () => cosineDecay({ initial: 0.1, decaySteps: 10 })(1.5) },
    // reduceOnPlateau
    { input: 'reduceOnPlateau({ min_lr: 1e-5 })', names: 'min_lr', run: bad(reduceOnPlateau, { min_lr: 1e-5 }) },
    { input: "reduceOnPlateau({ threshold_mode: 'abs' })", names: 'threshold_mode', run: bad(reduceOnPlateau, { threshold_mode: 'abs' }) },
    { input: 'reduceOnPlateau({ verbose: true })', names: 'verbose', run: bad(reduceOnPlateau, { verbose: true }) },
    { input: 'reduceOnPlateau({ eps: 1e-8 })', names: 'eps', run: bad(reduceOnPlateau, { eps: 1e-8 }) },
    { input: "reduceOnPlateau({ monitor: 'val_loss' }) (Keras)", names: 'monitor', run: bad(reduceOnPlateau, { monitor: 'val_loss' }) },
    { input: "reduceOnPlateau({ on: 'val_loss' })", names: 'on', run: bad(reduceOnPlateau, { on: 'val_loss' }) },
    { input: "reduceOnPlateau({ mode: 'minimize' })", names: 'mode', run: bad(reduceOnPlateau, { mode: 'minimize' }) },
    { input: 'reduceOnPlateau({ patience: 2.5 })', names: 'patience', run: bad(reduceOnPlateau, { patience: 2.5 }) },
    { input: "reduceOnPlateau('min')", names: 'options', run: bad(reduceOnPlateau, 'min') },
    {
      input: "reportMetric(0.5) to chain(sgd(), reduceOnPlateau()) (on: 'loss'), then step",
      names: 'on',
      run: (ctx) =>
        optimizerCase(ctx, chain(sgd({ learningRate: 0.1 }), reduceOnPlateau()), (opt, g) => {
          opt.reportMetric(0.5);
          opt.step(g, { loss: tf.scalar(1) });
        }),
    },
    {
      input: 'step(grads) without a loss to chain(sgd(), reduceOnPlateau())',
      names: 'loss',
      run: (ctx) => optimizerCase(ctx, chain(sgd({ learningRate: 0.1 }), reduceOnPlateau()), (opt, g) => opt.step(g)),
    },
    {
      input: "reduceOnPlateau({ on: 'metric' }).update(g, s, p, { metric: vector })",
      names: 'metric',
      run: () =>
        tf.tidy(() => {
          const tx = reduceOnPlateau({ on: 'metric' });
          const g = { w: tf.scalar(1) };
          tx.update(g, tx.init(g), g, { metric: tf.tensor1d([1, 2]) as never });
        }),
    },
    // fitSteps
    { input: 'fitSteps({ samples: 100, batch_size: 32 })', names: 'batch_size', run: bad(fitSteps, { samples: 100, batch_size: 32 }) },
    { input: 'fitSteps({ samples: 100, steps_per_epoch: 3 })', names: 'steps_per_epoch', run: bad(fitSteps, { samples: 100, steps_per_epoch: 3 }) },
    { input: 'fitSteps({ samples: 100, validationSplit: 1 })', names: 'validationSplit', run: bad(fitSteps, { samples: 100, validationSplit: 1 }) },
    {
      input: 'fitSteps({ samples: 1, validationSplit: 0.5 }) (no training sample left)',
      names: 'validationSplit',
      run: bad(fitSteps, { samples: 1, validationSplit: 0.5 }),
    },
    { input: 'fitSteps({ samples: 0 })', names: 'samples', run: bad(fitSteps, { samples: 0 }) },
    { input: 'fitSteps(xs.shape) (an array)', names: 'options', run: bad(fitSteps, [100, 3]) },
    {
      input: 'fitSteps({ samples: 100, epochs: 2, initialEpoch: 2 })',
      names: 'initialEpoch',
      run: bad(fitSteps, { samples: 100, epochs: 2, initialEpoch: 2 }),
    },
    // configs
    {
      input: "scheduleFromConfig({ schedule: 'cosineDecay', initial: 0.1, T_max: 10 })",
      names: 'T_max',
      run: () => scheduleFromConfig({ schedule: 'cosineDecay', initial: 0.1, T_max: 10 }),
    },
    { input: "scheduleFromConfig({ schedule: 'constant', v: 1 })", names: 'v', run: () => scheduleFromConfig({ schedule: 'constant', v: 1 }) },
    {
      input: "scheduleFromConfig({ schedule: 'joinSchedules', schedules: [{ schedule: 'constant', value: 1 }], boundaries: [5] })",
      names: 'boundaries',
      run: () => scheduleFromConfig({ schedule: 'joinSchedules', schedules: [{ schedule: 'constant', value: 1 }], boundaries: [5] }),
    },
    {
      input: "transformationFromConfig({ name: 'reduceOnPlateau', min_lr: 0.1 })",
      names: 'min_lr',
      run: () => transformationFromConfig({ name: 'reduceOnPlateau', min_lr: 0.1 }),
    },
  ]));
