import { hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { bad, watched } from './hostile-kit.js';
import { scheduleFreeAdamW, scheduleFreeSgd } from './index.js';

describe('schedule-free optimizers, hostile', () =>
  hostileCases([
    // The repo's (PyTorch) spellings and other unknown keys.
    { input: 'scheduleFreeAdamW({ lr: 0.0025 })', names: 'lr', run: () => scheduleFreeAdamW(bad({ lr: 0.0025 })) },
    { input: 'scheduleFreeAdamW({ betas: [0.9, 0.999] })', names: 'betas', run: () => scheduleFreeAdamW(bad({ betas: [0.9, 0.999] })) },
    { input: 'scheduleFreeAdamW({ eps: 1e-8 })', names: 'eps', run: () => scheduleFreeAdamW(bad({ eps: 1e-8 })) },
    { input: 'scheduleFreeAdamW({ weight_decay: 0.01 })', names: 'weight_decay', run: () => scheduleFreeAdamW(bad({ weight_decay: 0.01 })) },
    { input: 'scheduleFreeAdamW({ warmup_steps: 100 })', names: 'warmup_steps', run: () => scheduleFreeAdamW(bad({ warmup_steps: 100 })) },
    { input: 'scheduleFreeAdamW({ weight_lr_power: 2 })', names: 'weight_lr_power', run: () => scheduleFreeAdamW(bad({ weight_lr_power: 2 })) },
    {
      input: 'scheduleFreeAdamW({ inner_momentum: 0.9 }) (not supported)',
      names: 'inner_momentum',
      run: () => scheduleFreeAdamW(bad({ inner_momentum: 0.9 })),
    },
    { input: 'scheduleFreeAdamW({ foreach: true })', names: 'foreach', run: () => scheduleFreeAdamW(bad({ foreach: true })) },
    { input: 'scheduleFreeAdamW({ warmup: 100 })', names: 'warmup', run: () => scheduleFreeAdamW(bad({ warmup: 100 })) },
    { input: 'scheduleFreeAdamW({ momentum: 0.9 }) (that is SGD’s)', names: 'momentum', run: () => scheduleFreeAdamW(bad({ momentum: 0.9 })) },
    { input: 'scheduleFreeSgd({ lr: 1 })', names: 'lr', run: () => scheduleFreeSgd(bad({ lr: 1 })) },
    {
      input: 'scheduleFreeSgd({ learningRate: 1, warmup_steps: 10 })',
      names: 'warmup_steps',
      run: () => scheduleFreeSgd(bad({ learningRate: 1, warmup_steps: 10 })),
    },
    {
      input: 'scheduleFreeSgd({ learningRate: 1, weight_lr_power: 0 })',
      names: 'weight_lr_power',
      run: () => scheduleFreeSgd(bad({ learningRate: 1, weight_lr_power: 0 })),
    },
    { input: 'scheduleFreeSgd({ learningRate: 1, nesterov: true })', names: 'nesterov', run: () => scheduleFreeSgd(bad({ learningRate: 1, nesterov: true })) },
    {
      input: 'scheduleFreeSgd({ learningRate: 1, beta1: 0.9 }) (AdamW’s name)',
      names: 'beta1',
      run: () => scheduleFreeSgd(bad({ learningRate: 1, beta1: 0.9 })),
    },

    // β₁ / momentum: the evaluation point x = lerp(y, z, 1 − 1/β) divides by it.
    { input: 'scheduleFreeAdamW({ beta1: 0 })', names: 'beta1', run: () => scheduleFreeAdamW({ beta1: 0 }) },
    { input: 'scheduleFreeAdamW({ beta1: 1 })', names: 'beta1', run: () => scheduleFreeAdamW({ beta1: 1 }) },
    { input: 'scheduleFreeAdamW({ beta1: -0.5 })', names: 'beta1', run: () => scheduleFreeAdamW({ beta1: -0.5 }) },
    { input: 'scheduleFreeAdamW({ beta1: (t) => 0.9 }) (a schedule)', names: 'beta1', run: () => scheduleFreeAdamW(bad({ beta1: () => 0.9 })) },
    { input: "scheduleFreeAdamW({ beta1: '0.9' })", names: 'beta1', run: () => scheduleFreeAdamW(bad({ beta1: '0.9' })) },
    { input: 'scheduleFreeAdamW({ beta1: NaN })', names: 'beta1', run: () => scheduleFreeAdamW({ beta1: Number.NaN }) },
    { input: 'scheduleFreeAdamW({ beta1: null })', names: 'beta1', run: () => scheduleFreeAdamW(bad({ beta1: null })) },
    { input: 'scheduleFreeSgd({ learningRate: 1, momentum: 0 })', names: 'momentum', run: () => scheduleFreeSgd({ learningRate: 1, momentum: 0 }) },
    { input: 'scheduleFreeSgd({ learningRate: 1, momentum: 1 })', names: 'momentum', run: () => scheduleFreeSgd({ learningRate: 1, momentum: 1 }) },

    // Other wrong types, missing values, out of range, not finite.
    { input: 'scheduleFreeSgd()', names: 'options', run: () => scheduleFreeSgd(bad(undefined)) },
    { input: 'scheduleFreeSgd({})', names: 'learningRate', run: () => scheduleFreeSgd(bad({})) },
    { input: 'scheduleFreeSgd({ learningRate: null })', names: 'learningRate', run: () => scheduleFreeSgd(bad({ learningRate: null })) },
    { input: 'scheduleFreeSgd(1)', names: 'options', run: () => scheduleFreeSgd(bad(1)) },
    { input: 'scheduleFreeAdamW(null)', names: 'options', run: () => scheduleFreeAdamW(bad(null)) },
    { input: 'scheduleFreeAdamW([0.0025])', names: 'options', run: () => scheduleFreeAdamW(bad([0.0025])) },
    { input: "scheduleFreeAdamW({ learningRate: '0.0025' })", names: 'learningRate', run: () => scheduleFreeAdamW(bad({ learningRate: '0.0025' })) },
    { input: 'scheduleFreeAdamW({ learningRate: 0 })', names: 'learningRate', run: () => scheduleFreeAdamW({ learningRate: 0 }) },
    { input: 'scheduleFreeAdamW({ learningRate: Infinity })', names: 'learningRate', run: () => scheduleFreeAdamW({ learningRate: Number.POSITIVE_INFINITY }) },
    { input: 'scheduleFreeAdamW({ beta2: 1 })', names: 'beta2', run: () => scheduleFreeAdamW({ beta2: 1 }) },
    { input: 'scheduleFreeAdamW({ epsilon: 0 })', names: 'epsilon', run: () => scheduleFreeAdamW({ epsilon: 0 }) },
    { input: 'scheduleFreeAdamW({ epsilon: null })', names: 'epsilon', run: () => scheduleFreeAdamW(bad({ epsilon: null })) },
    { input: 'scheduleFreeAdamW({ weightDecay: -0.01 })', names: 'weightDecay', run: () => scheduleFreeAdamW({ weightDecay: -0.01 }) },
    { input: 'scheduleFreeAdamW({ warmupSteps: -1 })', names: 'warmupSteps', run: () => scheduleFreeAdamW({ warmupSteps: -1 }) },
    { input: 'scheduleFreeAdamW({ warmupSteps: 10.5 })', names: 'warmupSteps', run: () => scheduleFreeAdamW({ warmupSteps: 10.5 }) },
    { input: "scheduleFreeAdamW({ warmupSteps: '100' })", names: 'warmupSteps', run: () => scheduleFreeAdamW(bad({ warmupSteps: '100' })) },
    { input: 'scheduleFreeAdamW({ warmupSteps: Infinity })', names: 'warmupSteps', run: () => scheduleFreeAdamW({ warmupSteps: Number.POSITIVE_INFINITY }) },
    { input: 'scheduleFreeAdamW({ warmupSteps: null })', names: 'warmupSteps', run: () => scheduleFreeAdamW(bad({ warmupSteps: null })) },
    {
      input: 'scheduleFreeAdamW({ warmupSteps: (t) => t }) (a schedule)',
      names: 'warmupSteps',
      run: () => scheduleFreeAdamW(bad({ warmupSteps: (t: number) => t })),
    },
    { input: 'scheduleFreeAdamW({ r: -1 })', names: 'r', run: () => scheduleFreeAdamW({ r: -1 }) },
    { input: 'scheduleFreeAdamW({ r: NaN })', names: 'r', run: () => scheduleFreeAdamW({ r: Number.NaN }) },
    { input: 'scheduleFreeAdamW({ weightLrPower: -2 })', names: 'weightLrPower', run: () => scheduleFreeAdamW({ weightLrPower: -2 }) },
    { input: 'scheduleFreeSgd({ learningRate: 1, weightDecay: -1 })', names: 'weightDecay', run: () => scheduleFreeSgd({ learningRate: 1, weightDecay: -1 }) },
    { input: 'scheduleFreeSgd({ learningRate: 1, r: null })', names: 'r', run: () => scheduleFreeSgd(bad({ learningRate: 1, r: null })) },
    { input: 'scheduleFreeSgd({ learningRate: 1, warmupSteps: -5 })', names: 'warmupSteps', run: () => scheduleFreeSgd({ learningRate: 1, warmupSteps: -5 }) },

    // Bad inputs at a step: the Optimizer must be left as it was.
    {
      input: 'scheduleFreeAdamW: opt.step(grads) after opt.eval()',
      names: 'mode',
      run: async (ctx) => {
        const { opt, grads } = await watched(ctx, scheduleFreeAdamW({ learningRate: 0.1 }), 'eval');
        opt.step(grads);
      },
    },
    {
      input: 'scheduleFreeSgd: await opt.minimize(loss) after opt.eval()',
      names: 'mode',
      run: async (ctx) => {
        const { opt } = await watched(ctx, scheduleFreeSgd({ learningRate: 0.1 }), 'eval');
        await opt.minimize((p) => tf.sum(tf.square(p.w as tf.Tensor)));
      },
    },
    {
      input: 'scheduleFreeAdamW({ r: 1100 }): the second step’s weight 2^1100 overflows',
      names: 'r',
      run: async (ctx) => {
        const { opt, grads } = await watched(ctx, scheduleFreeAdamW({ learningRate: 0.1, r: 1100 }), 'train');
        opt.step(grads);
      },
    },
    {
      input: 'scheduleFreeAdamW().update(grads with a wrong shape, state, params)',
      names: 'w',
      run: async (ctx) => {
        const { opt } = await watched(ctx, scheduleFreeAdamW(), 'train');
        opt.step({ w: tf.tensor1d([1, 2]), b: tf.tensor1d([1, 2]) });
      },
    },
  ]));
