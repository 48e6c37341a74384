// The hostile user of the wrappers cautious, lookahead and emaParams: foreign spellings (PyTorch,
// pytorch-optimizer, optax), factories not called, wrong types and ranges, and misuse of an Optimizer
// in eval mode. Each must be a typed GradkitError naming the input, thrown before anything changed.
import { type GradientTransformation, Optimizer } from '@gradkit/core';
import { type HostileContext, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe } from 'vitest';
import { adam, adamw, cautious, emaParams, lion, lookahead, scaleByAdam, scheduleFreeAdamW, sgd } from './index.js';

const bad = (x: unknown) => x as never;
/** What the cases made, released after the suite (the harness compares watched values after each case returns). */
const made: tf.TensorContainer[] = [];
const optimizers: Optimizer[] = [];
afterAll(() => {
  for (const o of optimizers.splice(0)) o.dispose();
  tf.dispose(made.splice(0));
});

/** An Optimizer over { w: [3], b: [2] } that took a step, then went to eval mode; its parameters and state watched. */
async function inEval(ctx: HostileContext, tx: GradientTransformation) {
  const params = { w: tf.variable(tf.tensor1d([1, 2, 3])), b: tf.variable(tf.tensor1d([4, 5])) };
  const opt = new Optimizer(params, tx);
  const grads = { w: tf.tensor1d([0.1, 0.2, 0.3]), b: tf.tensor1d([0.4, 0.5]) };
  made.push(params, grads);
  optimizers.push(opt);
  opt.step(grads);
  opt.eval();
  await ctx.watch(opt, params.w, params.b);
  return { params, opt, grads };
}

describe('wrappers (cautious, lookahead, emaParams), hostile', () =>
  hostileCases([
    // cautious around something that is not an optimizer.
    { input: 'cautious(adamw) (factory not called)', names: 'inner', run: () => cautious(bad(adamw)) },
    { input: 'cautious(0.1)', names: 'inner', run: () => cautious(bad(0.1)) },
    { input: 'cautious(null)', names: 'inner', run: () => cautious(bad(null)) },
    { input: 'cautious()', names: 'inner', run: () => cautious(bad(undefined)) },
    { input: "cautious('adamw')", names: 'inner', run: () => cautious(bad('adamw')) },
    { input: 'cautious(lookahead(adam()))', names: 'inner', run: () => cautious(lookahead(adam())) },
    { input: 'cautious(scheduleFreeAdamW())', names: 'inner', run: () => cautious(scheduleFreeAdamW()) },
    { input: 'emaParams(adam(), { decay: schedule, debias: true })', names: 'decay', run: () => emaParams(adam(), { decay: () => 0.9, debias: true }) },
    { input: 'cautious({ learningRate: 1e-3 }) (options, not an optimizer)', names: 'inner', run: () => cautious(bad({ learningRate: 1e-3 })) },
    { input: 'cautious(scaleByAdam()) (no learning rate: updates point along the gradient)', names: 'inner', run: () => cautious(scaleByAdam()) },
    { input: 'cautious([adamw()])', names: 'inner', run: () => cautious(bad([adamw()])) },

    // lookahead: foreign spellings, the period, the step size.
    { input: 'lookahead(adam(), { k: 5 }) (pytorch-optimizer)', names: 'k', run: () => lookahead(adam(), bad({ k: 5 })) },
    { input: 'lookahead(adam(), { alpha: 0.5 }) (pytorch-optimizer)', names: 'alpha', run: () => lookahead(adam(), bad({ alpha: 0.5 })) },
    { input: 'lookahead(adam(), { sync_period: 5 }) (optax)', names: 'sync_period', run: () => lookahead(adam(), bad({ sync_period: 5 })) },
    { input: 'lookahead(adam(), { slow_step_size: 0.5 }) (optax)', names: 'slow_step_size', run: () => lookahead(adam(), bad({ slow_step_size: 0.5 })) },
    { input: 'lookahead(adam(), { reset_state: true }) (optax)', names: 'reset_state', run: () => lookahead(adam(), bad({ reset_state: true })) },
    { input: 'lookahead(adam(), { syncPeriod: 0 })', names: 'syncPeriod', run: () => lookahead(adam(), { syncPeriod: 0 }) },
    { input: 'lookahead(adam(), { syncPeriod: -1 })', names: 'syncPeriod', run: () => lookahead(adam(), { syncPeriod: -1 }) },
    { input: 'lookahead(adam(), { syncPeriod: 2.5 })', names: 'syncPeriod', run: () => lookahead(adam(), { syncPeriod: 2.5 }) },
    { input: 'lookahead(adam(), { syncPeriod: Infinity })', names: 'syncPeriod', run: () => lookahead(adam(), { syncPeriod: Number.POSITIVE_INFINITY }) },
    { input: "lookahead(adam(), { syncPeriod: '5' })", names: 'syncPeriod', run: () => lookahead(adam(), bad({ syncPeriod: '5' })) },
    { input: 'lookahead(adam(), { syncPeriod: (t) => 5 }) (a schedule)', names: 'syncPeriod', run: () => lookahead(adam(), bad({ syncPeriod: () => 5 })) },
    { input: 'lookahead(adam(), { syncPeriod: null })', names: 'syncPeriod', run: () => lookahead(adam(), bad({ syncPeriod: null })) },
    { input: 'lookahead(adam(), { slowStepSize: 0 })', names: 'slowStepSize', run: () => lookahead(adam(), { slowStepSize: 0 }) },
    { input: 'lookahead(adam(), { slowStepSize: 1.5 })', names: 'slowStepSize', run: () => lookahead(adam(), { slowStepSize: 1.5 }) },
    { input: 'lookahead(adam(), { slowStepSize: NaN })', names: 'slowStepSize', run: () => lookahead(adam(), { slowStepSize: Number.NaN }) },
    { input: "lookahead(adam(), { slowStepSize: '0.5' })", names: 'slowStepSize', run: () => lookahead(adam(), bad({ slowStepSize: '0.5' })) },
    { input: 'lookahead(adam, { syncPeriod: 5 }) (factory not called)', names: 'inner', run: () => lookahead(bad(adam), { syncPeriod: 5 }) },
    { input: 'lookahead({ syncPeriod: 5 }) (no inner)', names: 'inner', run: () => lookahead(bad({ syncPeriod: 5 })) },
    { input: 'lookahead(adam(), 5)', names: 'options', run: () => lookahead(adam(), bad(5)) },
    { input: 'lookahead(adam(), null)', names: 'options', run: () => lookahead(adam(), bad(null)) },
    { input: 'lookahead(5, adam()) (arguments swapped)', names: 'inner', run: () => lookahead(bad(5), bad(adam())) },

    // emaParams: foreign spellings, the decay.
    { input: 'emaParams(adamw(), { ema_decay: 0.999 }) (timm)', names: 'ema_decay', run: () => emaParams(adamw(), bad({ ema_decay: 0.999 })) },
    { input: 'emaParams(adamw(), { use_buffers: true }) (PyTorch)', names: 'use_buffers', run: () => emaParams(adamw(), bad({ use_buffers: true })) },
    { input: 'emaParams(adamw(), { decay: 1.01 })', names: 'decay', run: () => emaParams(adamw(), { decay: 1.01 }) },
    { input: 'emaParams(adamw(), { decay: -0.5 })', names: 'decay', run: () => emaParams(adamw(), { decay: -0.5 }) },
    { input: 'emaParams(adamw(), { decay: NaN })', names: 'decay', run: () => emaParams(adamw(), { decay: Number.NaN }) },
    { input: "emaParams(adamw(), { decay: '0.999' })", names: 'decay', run: () => emaParams(adamw(), bad({ decay: '0.999' })) },
    { input: 'emaParams(adamw(), { decay: null })', names: 'decay', run: () => emaParams(adamw(), bad({ decay: null })) },
    { input: "emaParams(adamw(), { debias: 'true' })", names: 'debias', run: () => emaParams(adamw(), bad({ debias: 'true' })) },
    { input: 'emaParams(adamw(), { debias: 1 })', names: 'debias', run: () => emaParams(adamw(), bad({ debias: 1 })) },
    { input: 'emaParams(0.999) (no inner)', names: 'inner', run: () => emaParams(bad(0.999)) },
    { input: 'emaParams(adamw) (factory not called)', names: 'inner', run: () => emaParams(bad(adamw)) },
    { input: 'emaParams(adamw(), 0.999) (decay not in an options object)', names: 'options', run: () => emaParams(adamw(), bad(0.999)) },

    // Functional use without the parameters.
    {
      input: 'lookahead(sgd()).update(grads, state) (no params)',
      names: 'params',
      run: async (ctx) => {
        const tx = lookahead(sgd({ learningRate: 0.1 }));
        const params = { w: tf.tensor1d([1, 2]) };
        const state = tx.init(params);
        made.push(params, state as never);
        await ctx.watch(params.w);
        return tf.tidy(() => void tx.update({ w: tf.tensor1d([1, 1]) }, state));
      },
    },
    {
      input: 'emaParams(sgd()).update(grads, state) (no params)',
      names: 'params',
      run: async (ctx) => {
        const tx = emaParams(sgd({ learningRate: 0.1 }));
        const params = { w: tf.tensor1d([1, 2]) };
        const state = tx.init(params);
        made.push(params, state as never);
        await ctx.watch(params.w);
        return tf.tidy(() => void tx.update({ w: tf.tensor1d([1, 1]) }, state));
      },
    },

    // Stepping in eval mode (the parameters hold the average / the slow weights).
    {
      input: 'opt.step(grads) after opt.eval() (emaParams)',
      names: 'mode',
      run: async (ctx) => {
        const { opt, grads } = await inEval(ctx, emaParams(adam({ learningRate: 0.1 }), { decay: 0.9 }));
        opt.step(grads);
      },
    },
    {
      input: 'await opt.minimize(loss) after opt.eval() (lookahead)',
      names: 'mode',
      run: async (ctx) => {
        const { opt } = await inEval(ctx, lookahead(adam({ learningRate: 0.1 }), { syncPeriod: 1 }));
        await opt.minimize((p) => tf.sum(tf.square(p.w as tf.Tensor)));
      },
    },
    {
      input: 'opt.step(grads) after opt.eval() (emaParams(cautious(lion())))',
      names: 'mode',
      run: async (ctx) => {
        const { opt, grads } = await inEval(ctx, emaParams(cautious(lion({ learningRate: 0.1 }))));
        opt.step(grads);
      },
    },
  ]));
