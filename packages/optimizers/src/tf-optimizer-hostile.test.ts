// The hostile user of the tfjs-layers adapter (toTfOptimizer / TransformOptimizer): careless and
// foreign (Keras, tf.train) inputs. Each must be a typed GradkitError naming the option, weight or
// path, thrown before anything changed (the runner and the variable a case watches, bit for bit).
import { type HostileContext, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { adam, sgd, TransformOptimizer, toTfOptimizer } from './index.js';
import { testDecay } from './tf-optimizer-fixtures.js';

const bad = (x: unknown) => x as never;

/** A name no other variable of the process has. */
const NAMED = `tfOptimizerHostile${Math.random().toString(36).slice(2)}`;

/** A variable `[2]` and an adapter that took one adam step on it, both watched. */
async function stepped(ctx: HostileContext, learningRate: number | ReturnType<typeof testDecay> = 0.1, name?: string) {
  const v = tf.variable(tf.tensor1d([1, 2]), true, name);
  const opt = toTfOptimizer(adam({ learningRate }));
  opt.applyGradients({ [v.name]: tf.tensor1d([0.5, -0.5]) });
  await ctx.watch(opt.runner, v);
  return { v, opt };
}

/** The adapter's weights after that step, with the one named `name` replaced (or removed when `tensor` is undefined). */
async function weightsWith(opt: TransformOptimizer, name: string, tensor?: tf.Tensor) {
  const weights = await opt.getWeights();
  const kept = weights.filter((w) => w.name !== name);
  return tensor ? [...kept, { name, tensor }] : kept;
}

const fromConfig = (config: unknown) => TransformOptimizer.fromConfig(TransformOptimizer, bad(config));

describe('toTfOptimizer, hostile', () =>
  hostileCases([
    // Building it.
    { input: 'toTfOptimizer(adam) (the factory, not called)', names: 'transform', run: () => toTfOptimizer(bad(adam)) },
    { input: 'toTfOptimizer(null)', names: 'transform', run: () => toTfOptimizer(bad(null)) },
    { input: "toTfOptimizer('adam') (a Keras optimizer name)", names: 'transform', run: () => toTfOptimizer(bad('adam')) },
    { input: 'toTfOptimizer(adam(), { fuse: false })', names: 'fuse', run: () => toTfOptimizer(adam(), bad({ fuse: false })) },
    { input: "toTfOptimizer(adam(), { fused: 'yes' })", names: 'fused', run: () => toTfOptimizer(adam(), bad({ fused: 'yes' })) },

    // learningRate, as Keras-style callbacks set it.
    ...([NaN, -0.1, 0, Infinity, '0.01', null, 1e39] as const).map((value) => ({
      input: `opt.learningRate = ${typeof value === 'string' ? `'${value}'` : String(value)}`,
      names: 'learningRate',
      run: async (ctx: HostileContext) => {
        const { opt } = await stepped(ctx);
        opt.learningRate = bad(value);
      },
    })),
    {
      input: 'opt.learningRate = 0.01 when the rate is a schedule',
      names: 'learningRate',
      run: async (ctx: HostileContext) => {
        const { opt } = await stepped(ctx, testDecay({ initial: 0.1, gamma: 0.5 }));
        opt.learningRate = 0.01;
      },
    },
    {
      input: 'opt.setTransform(sgd({ learningRate: 0.1 })) on an adam runner',
      names: 'transform',
      run: async (ctx: HostileContext) => (await stepped(ctx)).opt.setTransform(sgd({ learningRate: 0.1 })),
    },
    { input: 'opt.setTransform(adam) (the factory)', names: 'transform', run: async (ctx: HostileContext) => (await stepped(ctx)).opt.setTransform(bad(adam)) },

    // setWeights: another optimizer's weights, and spoiled ones.
    {
      input: "opt.setWeights(tf.train.adam's weights)",
      names: 'w/m',
      run: async (ctx: HostileContext) => {
        const { opt } = await stepped(ctx);
        await opt.setWeights([
          { name: 'iter', tensor: tf.scalar(1, 'int32') },
          { name: 'w/m', tensor: tf.zeros([2]) },
        ]);
      },
    },
    { input: 'opt.setWeights(null)', names: 'weights', run: async (ctx: HostileContext) => (await stepped(ctx)).opt.setWeights(bad(null)) },
    {
      input: "opt.setWeights(weights without 'iter')",
      names: 'iter',
      run: async (ctx: HostileContext) => {
        const { opt } = await stepped(ctx);
        await opt.setWeights(await weightsWith(opt, 'iter'));
      },
    },
    {
      input: "opt.setWeights(weights with 'iter' −3)",
      names: 'iter',
      run: async (ctx: HostileContext) => {
        const { opt } = await stepped(ctx);
        await opt.setWeights(await weightsWith(opt, 'iter', tf.scalar(-3, 'int32')));
      },
    },
    {
      input: "opt.setWeights(weights whose 'iter' is not the saved step count)",
      names: 'iter',
      run: async (ctx: HostileContext) => {
        const { opt } = await stepped(ctx);
        await opt.setWeights(await weightsWith(opt, 'iter', tf.scalar(7, 'int32')));
      },
    },
    {
      input: "opt.setWeights(weights whose 'gradkit:meta' is not JSON)",
      names: 'gradkit:meta',
      run: async (ctx: HostileContext) => {
        const { opt } = await stepped(ctx);
        await opt.setWeights(await weightsWith(opt, 'gradkit:meta', tf.scalar('{ not json')));
      },
    },
    {
      input: 'opt.setWeights(weights with a moment of another shape)',
      names: 'mu',
      run: async (ctx: HostileContext) => {
        const { opt, v } = await stepped(ctx);
        await opt.setWeights(await weightsWith(opt, `gradkit:state:mu.${v.name}`, tf.zeros([3])));
      },
    },
    {
      input: 'opt.setWeights(weights with NaN in a first moment)',
      names: 'mu',
      run: async (ctx: HostileContext) => {
        const { opt, v } = await stepped(ctx);
        await opt.setWeights(await weightsWith(opt, `gradkit:state:mu.${v.name}`, tf.tensor1d([Number.NaN, 1])));
      },
    },
    {
      input: 'opt.setWeights(weights with a state tensor it does not have)',
      names: 'extra',
      run: async (ctx: HostileContext) => {
        const { opt } = await stepped(ctx);
        await opt.setWeights(await weightsWith(opt, 'gradkit:state:extra', tf.zeros([2])));
      },
    },
    {
      input: "opt.setWeights(weights naming 'iter' twice)",
      names: 'iter',
      run: async (ctx: HostileContext) => {
        const { opt } = await stepped(ctx);
        const weights = await opt.getWeights();
        await opt.setWeights([...weights, weights[0] as (typeof weights)[number]]);
      },
    },
    {
      input: 'opt.setWeights(weights with a disposed tensor)',
      names: 'gradkit:meta',
      run: async (ctx: HostileContext) => {
        const { opt } = await stepped(ctx);
        const meta = tf.scalar('{}');
        meta.dispose();
        await opt.setWeights(await weightsWith(opt, 'gradkit:meta', meta));
      },
    },

    // fromConfig (what tf.loadLayersModel calls with the saved config).
    { input: "fromConfig({ transform: { name: 'adamm' } })", names: 'transform.name', run: () => fromConfig({ transform: { name: 'adamm' } }) },
    { input: "fromConfig({ transform: { name: 'adam', lr: 0.1 } })", names: 'lr', run: () => fromConfig({ transform: { name: 'adam', lr: 0.1 } }) },
    { input: "fromConfig({ transform: { name: 'adam' }, lr: 0.1 })", names: 'lr', run: () => fromConfig({ transform: { name: 'adam' }, lr: 0.1 }) },
    { input: 'fromConfig({})', names: 'transform', run: () => fromConfig({}) },
    {
      input: 'fromConfig({ transform, transformJson })',
      names: 'transform',
      run: () => fromConfig({ transform: { name: 'adam' }, transformJson: '{"name":"adam"}' }),
    },
    { input: "fromConfig({ transformJson: '{ adam' })", names: 'transformJson', run: () => fromConfig({ transformJson: '{ adam' }) },
    { input: 'fromConfig(null)', names: 'config', run: () => fromConfig(null) },

    // Writing the config (model.save calls getConfig).
    {
      input: 'getConfig() of sgd({ learningRate: (t) => 0.1 / (1 + t) })',
      names: 'transform.learningRate',
      run: () => toTfOptimizer(sgd({ learningRate: (t: number) => 0.1 / (1 + t) })).getConfig(),
    },

    // applyGradients (what tf.Optimizer.minimize and tfjs-layers call).
    { input: 'opt.applyGradients(null)', names: 'variableGradients', run: async (ctx: HostileContext) => (await stepped(ctx)).opt.applyGradients(bad(null)) },
    { input: 'opt.applyGradients({})', names: 'variableGradients', run: async (ctx: HostileContext) => (await stepped(ctx)).opt.applyGradients({}) },
    {
      input: "opt.applyGradients({ [v.name]: 'g' })",
      names: NAMED,
      run: async (ctx: HostileContext) => {
        const { opt, v } = await stepped(ctx, 0.1, NAMED);
        opt.applyGradients(bad({ [v.name]: 'g' }));
      },
    },
    {
      input: 'opt.applyGradients({ [v.name]: gradient of shape [3] })',
      names: 'shape',
      run: async (ctx: HostileContext) => {
        const { opt, v } = await stepped(ctx);
        opt.applyGradients({ [v.name]: tf.zeros([3]) });
      },
    },
    {
      input: "new optimizer's first applyGradients({ notAVariable: g })",
      names: 'notAVariable',
      run: () => toTfOptimizer(adam()).applyGradients({ notAVariable: tf.zeros([2]) }),
    },
    {
      input: 'opt.getWeights() after dispose()',
      names: 'TransformOptimizer',
      run: async () => {
        const opt = toTfOptimizer(adam());
        opt.dispose();
        await opt.getWeights();
      },
    },
  ]));
