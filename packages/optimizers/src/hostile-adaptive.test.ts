// The hostile user of adopt, prodigy and ademamix: optax and PyTorch spellings, out-of-range and
// non-numeric hyper-parameters, schedules that leave their range mid-run, and trees that do not match
// the state. Each must be a typed GradkitError naming the option or path, thrown before anything changed.
import type { GradientTransformation } from '@gradkit/core';
import { type HostileContext, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { bad, functional, watched } from './hostile-kit.js';
import { ademamix, ademamixWarmup, adopt, prodigy } from './index.js';

const factories = { adopt, prodigy, ademamix } as const;

describe('adopt, prodigy, ademamix: hostile', () =>
  hostileCases([
    // optax and PyTorch spellings, for each of the three.
    ...Object.entries(factories).flatMap(([name, make]) => [
      { input: `${name}({ b1: 0.9 }) (optax)`, names: 'b1', run: () => make(bad({ b1: 0.9 })) },
      { input: `${name}({ b2: 0.99 }) (optax)`, names: 'b2', run: () => make(bad({ b2: 0.99 })) },
      { input: `${name}({ eps: 1e-8 }) (optax, PyTorch)`, names: 'eps', run: () => make(bad({ eps: 1e-8 })) },
      { input: `${name}({ weight_decay: 0.01 }) (optax, PyTorch)`, names: 'weight_decay', run: () => make(bad({ weight_decay: 0.01 })) },
      { input: `${name}({ lr: 1e-3 }) (PyTorch)`, names: 'lr', run: () => make(bad({ lr: 1e-3 })) },
      { input: `${name}({ betas: [0.9, 0.999] }) (PyTorch)`, names: 'betas', run: () => make(bad({ betas: [0.9, 0.999] })) },
      { input: `${name}({ learning_rate: 1e-3 }) (optax)`, names: 'learning_rate', run: () => make(bad({ learning_rate: 1e-3 })) },
      { input: `${name}(0.001) (a learning rate, not options)`, names: 'options', run: () => make(bad(0.001)) },
      { input: `${name}({ learningRate: NaN })`, names: 'learningRate', run: () => make({ learningRate: Number.NaN }) },
      { input: `${name}({ learningRate: Infinity })`, names: 'learningRate', run: () => make({ learningRate: Number.POSITIVE_INFINITY }) },
      { input: `${name}({ learningRate: '1e-3' })`, names: 'learningRate', run: () => make({ learningRate: bad('1e-3') }) },
      { input: `${name}({ beta1: 1 })`, names: 'beta1', run: () => make({ beta1: 1 }) },
      { input: `${name}({ beta2: -0.1 })`, names: 'beta2', run: () => make({ beta2: -0.1 }) },
      { input: `${name}({ epsilon: 0 })`, names: 'epsilon', run: () => make({ epsilon: 0 }) },
      { input: `${name}({ weightDecay: -0.01 })`, names: 'weightDecay', run: () => make({ weightDecay: -0.01 }) },
      { input: `${name}({ weightDecay: null })`, names: 'weightDecay', run: () => make({ weightDecay: bad(null) }) },
      {
        input: `${name}({ learningRate: schedule going negative at step 1 }), stepped twice`,
        names: 'learningRate',
        run: async (ctx: HostileContext) => {
          const { opt, grads } = await watched(ctx, make({ learningRate: (t: number) => 0.1 - 0.2 * t }));
          opt.step(grads);
        },
      },
      {
        input: `${name}({ weightDecay: 0.1 }).update(grads with a wrong shape, state, params)`,
        names: 'w',
        run: async (ctx: HostileContext) => {
          const tx = make({ weightDecay: 0.1 }) as GradientTransformation;
          const { params, state } = await functional(ctx, tx);
          tf.tidy(() => void tx.update({ w: tf.tensor1d([1, 2]), b: tf.tensor1d([1, 2]) }, state, params));
        },
      },
      {
        input: `${name}({ weightDecay: 0.1 }).update(grads missing b, state, params)`,
        names: 'b',
        run: async (ctx: HostileContext) => {
          const tx = make({ weightDecay: 0.1 }) as GradientTransformation;
          const { params, state } = await functional(ctx, tx);
          tf.tidy(() => void tx.update({ w: tf.tensor1d([1, 2, 3]) }, state, params));
        },
      },
    ]),
    // adopt
    { input: 'adopt({ use_clipping: false }) (optax)', names: 'use_clipping', run: () => adopt(bad({ use_clipping: false })) },
    { input: 'adopt({ clip_lambda: null }) (the authors’ PyTorch)', names: 'clip_lambda', run: () => adopt(bad({ clip_lambda: null })) },
    { input: "adopt({ nesterov: 'true' })", names: 'nesterov', run: () => adopt({ nesterov: bad('true') }) },
    { input: 'adopt({ useClipping: 1 })', names: 'useClipping', run: () => adopt({ useClipping: bad(1) }) },
    { input: 'adopt({ beta2: 1 })', names: 'beta2', run: () => adopt({ beta2: 1 }) },
    {
      input: 'adopt({ weightDecay: 0.1 }).update(grads, state) without the parameters',
      names: 'weightDecay',
      run: async (ctx) => {
        const tx = adopt({ weightDecay: 0.1 });
        const { params, state } = await functional(ctx, tx);
        tf.tidy(() => void tx.update(params, state));
      },
    },
    // prodigy
    { input: 'prodigy({ estim_lr0: 1e-6 }) (optax)', names: 'estim_lr0', run: () => prodigy(bad({ estim_lr0: 1e-6 })) },
    { input: 'prodigy({ d_coef: 1 }) (PyTorch prodigyopt)', names: 'd_coef', run: () => prodigy(bad({ d_coef: 1 })) },
    { input: 'prodigy({ growth_rate: 1.02 }) (PyTorch prodigyopt)', names: 'growth_rate', run: () => prodigy(bad({ growth_rate: 1.02 })) },
    { input: 'prodigy({ safeguard_warmup: true }) (optax)', names: 'safeguard_warmup', run: () => prodigy(bad({ safeguard_warmup: true })) },
    {
      input: 'prodigy({ use_bias_correction: true }) (PyTorch prodigyopt)',
      names: 'use_bias_correction',
      run: () => prodigy(bad({ use_bias_correction: true })),
    },
    { input: 'prodigy({ d0: 0 })', names: 'd0', run: () => prodigy({ d0: 0 }) },
    { input: 'prodigy({ d0: -1e-6 })', names: 'd0', run: () => prodigy({ d0: -1e-6 }) },
    { input: 'prodigy({ d0: NaN })', names: 'd0', run: () => prodigy({ d0: Number.NaN }) },
    { input: 'prodigy({ d0: schedule })', names: 'd0', run: () => prodigy({ d0: bad(() => 1e-6) }) },
    { input: 'prodigy({ dCoef: 0 })', names: 'dCoef', run: () => prodigy({ dCoef: 0 }) },
    { input: 'prodigy({ beta3: 1.5 })', names: 'beta3', run: () => prodigy({ beta3: 1.5 }) },
    { input: 'prodigy({ growthRate: 0.9 }) (D may not shrink)', names: 'growthRate', run: () => prodigy({ growthRate: 0.9 }) },
    { input: 'prodigy({ growthRate: -Infinity })', names: 'growthRate', run: () => prodigy({ growthRate: Number.NEGATIVE_INFINITY }) },
    { input: 'prodigy({ growthRate: NaN })', names: 'growthRate', run: () => prodigy({ growthRate: Number.NaN }) },
    { input: "prodigy({ safeguardWarmup: 'yes' })", names: 'safeguardWarmup', run: () => prodigy({ safeguardWarmup: bad('yes') }) },
    {
      input: 'prodigy({ growthRate: schedule falling below 1 at step 1 }), stepped twice',
      names: 'growthRate',
      run: async (ctx) => {
        const { opt, grads } = await watched(ctx, prodigy({ growthRate: (t) => 2 - 1.5 * t }));
        opt.step(grads);
      },
    },
    {
      input: 'prodigy().update(grads, state) without the parameters',
      names: 'params',
      run: async (ctx) => {
        const tx = prodigy();
        const { params, state } = await functional(ctx, tx);
        tf.tidy(() => void tx.update(params, state));
      },
    },
    {
      input: 'prodigy().update(grads, state, params with a wrong shape)',
      names: 'w',
      run: async (ctx) => {
        const tx = prodigy();
        const { params, state } = await functional(ctx, tx);
        tf.tidy(() => void tx.update(params, state, { w: tf.tensor1d([1, 2]), b: params.b }));
      },
    },
    // ademamix
    { input: 'ademamix({ b3: 0.9999 }) (optax)', names: 'b3', run: () => ademamix(bad({ b3: 0.9999 })) },
    { input: 'ademamix({ eps_root: 0 }) (optax)', names: 'eps_root', run: () => ademamix(bad({ eps_root: 0 })) },
    { input: 'ademamix({ alphaScheduler: … }) (a separate scheduler option)', names: 'alphaScheduler', run: () => ademamix(bad({ alphaScheduler: () => 5 })) },
    { input: 'ademamix({ T_alpha_beta3: 1000 }) (the authors’ PyTorch)', names: 'T_alpha_beta3', run: () => ademamix(bad({ T_alpha_beta3: 1000 })) },
    { input: 'ademamix({ beta3: 1 })', names: 'beta3', run: () => ademamix({ beta3: 1 }) },
    { input: 'ademamix({ alpha: -5 })', names: 'alpha', run: () => ademamix({ alpha: -5 }) },
    { input: 'ademamix({ alpha: Infinity })', names: 'alpha', run: () => ademamix({ alpha: Number.POSITIVE_INFINITY }) },
    { input: 'ademamix({ epsilonRoot: -1 })', names: 'epsilonRoot', run: () => ademamix({ epsilonRoot: -1 }) },
    { input: 'ademamixWarmup() (no options)', names: 'options', run: () => ademamixWarmup(bad(undefined)) },
    { input: 'ademamixWarmup({ alpha: 8 }) (no warmupSteps)', names: 'warmupSteps', run: () => ademamixWarmup(bad({ alpha: 8 })) },
    { input: 'ademamixWarmup({ T_alpha_beta3: 1000 })', names: 'T_alpha_beta3', run: () => ademamixWarmup(bad({ T_alpha_beta3: 1000 })) },
    { input: 'ademamixWarmup({ warmup_steps: 1000 }) (snake case)', names: 'warmup_steps', run: () => ademamixWarmup(bad({ warmup_steps: 1000 })) },
    { input: 'ademamixWarmup({ warmupSteps: -1 })', names: 'warmupSteps', run: () => ademamixWarmup({ warmupSteps: -1 }) },
    { input: 'ademamixWarmup({ warmupSteps: 1e3, beta3: 1 })', names: 'beta3', run: () => ademamixWarmup({ warmupSteps: 1e3, beta3: 1 }) },
    { input: 'ademamixWarmup({ warmupSteps: 1e3, alpha: NaN })', names: 'alpha', run: () => ademamixWarmup({ warmupSteps: 1e3, alpha: Number.NaN }) },
    { input: 'ademamixWarmup({ warmupSteps: 1e3, beta1: schedule })', names: 'beta1', run: () => ademamixWarmup({ warmupSteps: 1e3, beta1: bad(() => 0.9) }) },
    {
      input: 'ademamix({ beta3: schedule reaching 1 at step 1 }), stepped twice',
      names: 'beta3',
      run: async (ctx) => {
        const { opt, grads } = await watched(ctx, ademamix({ beta3: (t) => Math.min(1, 0.9 + 0.1 * t) }));
        opt.step(grads);
      },
    },
    {
      input: 'ademamix({ alpha: schedule returning NaN at step 1 }), stepped twice',
      names: 'alpha',
      run: async (ctx) => {
        const { opt, grads } = await watched(ctx, ademamix({ alpha: (t) => (t > 0 ? Number.NaN : 5) }));
        opt.step(grads);
      },
    },
  ]));
