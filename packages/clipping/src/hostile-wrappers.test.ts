// The hostile user of zclip and skipLargeUpdates: the reference's and optax's spellings, wrong types,
// ranges and structures, factories not called, configs. Each must be a typed GradkitError naming the
// input, thrown before anything changed.
import { transformationFromConfig } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { skipLargeUpdates, zclip } from './index.js';

const bad = (x: unknown) => x as never;

describe('zclip and skipLargeUpdates, hostile', () =>
  hostileCases([
    // zclip: the reference's (Python) spellings.
    { input: 'zclip({ z_thresh: 2.5 }) (ZClip)', names: 'z_thresh', run: () => zclip(bad({ z_thresh: 2.5 })) },
    { input: 'zclip({ warmup_steps: 25 }) (ZClip)', names: 'warmup_steps', run: () => zclip(bad({ warmup_steps: 25 })) },
    { input: "zclip({ clip_option: 'adaptive_scaling' }) (ZClip)", names: 'clip_option', run: () => zclip(bad({ clip_option: 'adaptive_scaling' })) },
    { input: 'zclip({ max_grad_norm: 1 }) (ZClip)', names: 'max_grad_norm', run: () => zclip(bad({ max_grad_norm: 1 })) },
    { input: 'zclip({ clip_factor: 0.7 }) (ZClip)', names: 'clip_factor', run: () => zclip(bad({ clip_factor: 0.7 })) },
    { input: 'zclip({ skip_update_on_spike: true }) (ZClip)', names: 'skip_update_on_spike', run: () => zclip(bad({ skip_update_on_spike: true })) },
    { input: 'zclip({ eps: 1e-6 }) (ZClip)', names: 'eps', run: () => zclip(bad({ eps: 1e-6 })) },
    { input: 'zclip({ percentile: 0.99 }) (ZClip README)', names: 'percentile', run: () => zclip(bad({ percentile: 0.99 })) },
    // zclip: values.
    { input: "zclip({ clipOption: 'adaptive_scaling' })", names: 'clipOption', run: () => zclip(bad({ clipOption: 'adaptive_scaling' })) },
    { input: "zclip({ clipOption: 'max' })", names: 'clipOption', run: () => zclip(bad({ clipOption: 'max' })) },
    { input: "zclip({ mode: 'ZSCORE' })", names: 'mode', run: () => zclip(bad({ mode: 'ZSCORE' })) },
    { input: "zclip({ mode: 'iqr' })", names: 'mode', run: () => zclip(bad({ mode: 'iqr' })) },
    { input: 'zclip({ mode: null })', names: 'mode', run: () => zclip(bad({ mode: null })) },
    { input: 'zclip({ alpha: 1 })', names: 'alpha', run: () => zclip({ alpha: 1 }) },
    { input: 'zclip({ alpha: -0.1 })', names: 'alpha', run: () => zclip({ alpha: -0.1 }) },
    { input: 'zclip({ alpha: NaN })', names: 'alpha', run: () => zclip({ alpha: Number.NaN }) },
    { input: "zclip({ alpha: '0.97' })", names: 'alpha', run: () => zclip(bad({ alpha: '0.97' })) },
    { input: 'zclip({ zThreshold: 0 })', names: 'zThreshold', run: () => zclip({ zThreshold: 0 }) },
    { input: 'zclip({ zThreshold: -2.5 })', names: 'zThreshold', run: () => zclip({ zThreshold: -2.5 }) },
    { input: 'zclip({ zThreshold: Infinity })', names: 'zThreshold', run: () => zclip({ zThreshold: Number.POSITIVE_INFINITY }) },
    { input: 'zclip({ zThreshold: () => -1 }) (a schedule going negative)', names: 'zThreshold', run: () => zclip({ zThreshold: () => -1 }) },
    { input: 'zclip({ warmupSteps: 0 })', names: 'warmupSteps', run: () => zclip({ warmupSteps: 0 }) },
    { input: 'zclip({ warmupSteps: 2.5 })', names: 'warmupSteps', run: () => zclip({ warmupSteps: 2.5 }) },
    { input: "zclip({ warmupSteps: '25' })", names: 'warmupSteps', run: () => zclip(bad({ warmupSteps: '25' })) },
    { input: 'zclip({ warmupSteps: (t) => 25 }) (a schedule)', names: 'warmupSteps', run: () => zclip(bad({ warmupSteps: () => 25 })) },
    { input: 'zclip({ warmupSteps: null })', names: 'warmupSteps', run: () => zclip(bad({ warmupSteps: null })) },
    { input: 'zclip({ clipFactor: 0 })', names: 'clipFactor', run: () => zclip({ clipFactor: 0 }) },
    { input: 'zclip({ maxGradNorm: 0 })', names: 'maxGradNorm', run: () => zclip({ maxGradNorm: 0 }) },
    { input: 'zclip({ maxGradNorm: -1 })', names: 'maxGradNorm', run: () => zclip({ maxGradNorm: -1 }) },
    { input: 'zclip({ maxGradNorm: null })', names: 'maxGradNorm', run: () => zclip(bad({ maxGradNorm: null })) },
    { input: 'zclip({ maxGradNorm: { value: 1 } })', names: 'maxGradNorm', run: () => zclip(bad({ maxGradNorm: { value: 1 } })) },
    { input: 'zclip({ epsilon: 0 })', names: 'epsilon', run: () => zclip({ epsilon: 0 }) },
    { input: "zclip({ skipUpdateOnSpike: 'yes' })", names: 'skipUpdateOnSpike', run: () => zclip(bad({ skipUpdateOnSpike: 'yes' })) },
    { input: 'zclip(2.5) (a threshold, not options)', names: 'options', run: () => zclip(bad(2.5)) },
    { input: 'zclip(null)', names: 'options', run: () => zclip(bad(null)) },
    {
      input: 'zclip().update(grads, state, params) with a gradient of the wrong shape',
      names: 'w',
      run: async (ctx) => {
        const tx = zclip();
        const params = { w: tf.tensor1d([1, 2]) };
        const state = tx.init(params);
        await ctx.watch(params.w, state.mean, state.var);
        return tf.tidy(() => void tx.update({ w: tf.tensor1d([1, 2, 3]) }, state, params));
      },
    },

    // skipLargeUpdates.
    {
      input: 'skipLargeUpdates(adam(), { max_squared_norm: 100 }) (optax)',
      names: 'max_squared_norm',
      run: () => skipLargeUpdates(adam(), bad({ max_squared_norm: 100 })),
    },
    { input: 'skipLargeUpdates(adam(), { maxNorm: 10 })', names: 'maxNorm', run: () => skipLargeUpdates(adam(), bad({ maxNorm: 10 })) },
    { input: 'skipLargeUpdates(adam(), {})', names: 'maxSquaredNorm', run: () => skipLargeUpdates(adam(), bad({})) },
    { input: 'skipLargeUpdates(adam())', names: 'options', run: () => skipLargeUpdates(adam(), bad(undefined)) },
    { input: 'skipLargeUpdates(adam(), 100) (the bound, not options)', names: 'options', run: () => skipLargeUpdates(adam(), bad(100)) },
    { input: 'skipLargeUpdates(adam(), { maxSquaredNorm: 0 })', names: 'maxSquaredNorm', run: () => skipLargeUpdates(adam(), { maxSquaredNorm: 0 }) },
    { input: 'skipLargeUpdates(adam(), { maxSquaredNorm: -1 })', names: 'maxSquaredNorm', run: () => skipLargeUpdates(adam(), { maxSquaredNorm: -1 }) },
    {
      input: 'skipLargeUpdates(adam(), { maxSquaredNorm: NaN })',
      names: 'maxSquaredNorm',
      run: () => skipLargeUpdates(adam(), { maxSquaredNorm: Number.NaN }),
    },
    {
      input: 'skipLargeUpdates(adam(), { maxSquaredNorm: Infinity })',
      names: 'maxSquaredNorm',
      run: () => skipLargeUpdates(adam(), { maxSquaredNorm: Number.POSITIVE_INFINITY }),
    },
    {
      input: "skipLargeUpdates(adam(), { maxSquaredNorm: '100' })",
      names: 'maxSquaredNorm',
      run: () => skipLargeUpdates(adam(), bad({ maxSquaredNorm: '100' })),
    },
    {
      input: 'skipLargeUpdates(adam(), { maxSquaredNorm: null })',
      names: 'maxSquaredNorm',
      run: () => skipLargeUpdates(adam(), bad({ maxSquaredNorm: null })),
    },
    {
      input: 'skipLargeUpdates(adam, { maxSquaredNorm: 100 }) (factory not called)',
      names: 'inner',
      run: () => skipLargeUpdates(bad(adam), { maxSquaredNorm: 100 }),
    },
    { input: 'skipLargeUpdates(null, { maxSquaredNorm: 100 })', names: 'inner', run: () => skipLargeUpdates(bad(null), { maxSquaredNorm: 100 }) },
    {
      input: 'skipLargeUpdates({ maxSquaredNorm: 100 }) (no inner)',
      names: 'inner',
      run: () => skipLargeUpdates(bad({ maxSquaredNorm: 100 }), bad(undefined)),
    },
    {
      input: 'skipLargeUpdates(adam(), …).update(grads, state, params) with a gradient missing',
      names: 'b',
      run: async (ctx) => {
        const tx = skipLargeUpdates(adam(), { maxSquaredNorm: 100 });
        const params = { w: tf.tensor1d([1, 2]), b: tf.scalar(1) };
        const state = tx.init(params);
        await ctx.watch(params.w, params.b, state.totalSkipped);
        return tf.tidy(() => void tx.update(bad({ w: tf.tensor1d([1, 2]) }), state, params));
      },
    },

    // Configs.
    {
      input: "transformationFromConfig({ name: 'zclip', z_thresh: 3 })",
      names: 'z_thresh',
      run: () => transformationFromConfig({ name: 'zclip', z_thresh: 3 }),
    },
    {
      input: "transformationFromConfig({ name: 'zclip', mode: 'median' })",
      names: 'mode',
      run: () => transformationFromConfig({ name: 'zclip', mode: 'median' }),
    },
    {
      input: "transformationFromConfig({ name: 'skipLargeUpdates', maxSquaredNorm: 100 }) (no inner)",
      names: 'inner',
      run: () => transformationFromConfig({ name: 'skipLargeUpdates', maxSquaredNorm: 100 }),
    },
    {
      input: "transformationFromConfig({ name: 'skipLargeUpdates', inner: { name: 'adam' } }) (no bound)",
      names: 'maxSquaredNorm',
      run: () => transformationFromConfig({ name: 'skipLargeUpdates', inner: { name: 'adam' } }),
    },
    {
      input: "transformationFromConfig({ name: 'skipLargeUpdates', inner: { name: 'adam' }, max_squared_norm: 1 })",
      names: 'max_squared_norm',
      run: () => transformationFromConfig({ name: 'skipLargeUpdates', inner: { name: 'adam' }, max_squared_norm: 1 }),
    },
  ]));
