// The hostile user of the tfjs-layers adapter's eval point (TransformOptimizer.eval/train/mode): a
// step in eval mode, a model that is not one, another model, an eval point with no variables known.
// Each must be a typed GradkitError naming `mode` or `model`, thrown before anything changed (the
// cases leave their models to the end of the run: the suite reads the watched weights afterwards).
import { type HostileContext, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe } from 'vitest';
import { adam, toTfOptimizer } from './index.js';
import { scheduleFreeAdamW } from './schedule-free-adamw.js';
import { FIXTURES, fitFor } from './tf-optimizer-fixtures.js';

const bad = (x: unknown) => x as never;
const dense = FIXTURES[0] as (typeof FIXTURES)[number];

/** A dense model compiled with a schedule-free adapter; trained one epoch and put in eval mode when asked; its weights (and runner) watched. */
async function compiled(ctx: HostileContext, trainedThenEval: boolean) {
  const opt = toTfOptimizer(scheduleFreeAdamW({ learningRate: 0.01 }));
  const model = dense.build();
  model.compile({ optimizer: opt, loss: 'meanSquaredError' });
  if (trainedThenEval) {
    await fitFor(model, dense, 1);
    opt.eval();
    await ctx.watch(opt.runner);
  }
  await ctx.watch(...model.getWeights());
  return { opt, model };
}

describe('toTfOptimizer eval/train, hostile', () =>
  hostileCases([
    {
      input: 'model.fit after opt.eval() (schedule-free, trained)',
      names: 'mode',
      run: async (ctx) => {
        const { model } = await compiled(ctx, true);
        await fitFor(model, dense, 1);
      },
    },
    {
      input: 'opt.applyGradients(grads) after opt.eval() (adam, before its first step)',
      names: 'mode',
      run: async (ctx) => {
        const v = tf.variable(tf.tensor1d([1, 2]));
        await ctx.watch(v);
        const opt = toTfOptimizer(adam());
        opt.eval();
        opt.applyGradients({ [v.name]: tf.tensor1d([1, 1]) });
      },
    },
    {
      input: 'opt.eval() on schedule-free before the first step, without the model',
      names: 'mode',
      run: async (ctx) => {
        const { opt } = await compiled(ctx, false);
        opt.eval();
      },
    },
    ...([null, 'model', {}, { trainableWeights: 'kernel' }, { trainableWeights: [] }, { trainableWeights: [{ read: () => tf.scalar(1) }] }] as const).map(
      (given) => ({
        input: `opt.eval(${JSON.stringify(given)}) before the first step`,
        names: 'model',
        run: async (ctx: HostileContext) => {
          const { opt } = await compiled(ctx, false);
          opt.eval(bad(given));
        },
      }),
    ),
    {
      input: 'opt.train(otherModel) after training another (in eval mode)',
      names: 'model',
      run: async (ctx) => {
        const { opt } = await compiled(ctx, true);
        opt.train(dense.build());
      },
    },
  ]));
