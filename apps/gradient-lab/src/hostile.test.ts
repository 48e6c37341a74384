// The hostile user of the lab's public functions (configurations, the training step, the command
// line): careless inputs and other tools' spellings. Each must be a typed GradkitError naming the
// option or flag, thrown before anything changed (the weights a case could step are compared bit for bit).
import { Optimizer } from '@gradkit/core';
import { GradientMonitor } from '@gradkit/diagnostics';
import { sgd } from '@gradkit/optimizers';
import { type HostileContext, hostileCases } from '@gradkit/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe } from 'vitest';
import { parseArgs } from './args.js';
import { DEFAULT_CONFIG, type LabConfig } from './config.js';
import { buildModel, buildTransform, crossEntropy, trainStep } from './model.js';
import { trainConfiguration } from './train.js';

const bad = (x: unknown) => x as never;
const small: LabConfig = { ...DEFAULT_CONFIG, depth: 2, width: 4, steps: 2, batch: 2, name: 'hostile' };
const config = (changes: object) => bad({ ...small, ...changes });
const data = { train: { x: tf.zeros([4, 784]) as tf.Tensor2D, y: tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10) as tf.Tensor2D } };
const splits = { ...data, test: data.train };
const owned: { dispose(): void }[] = [];

/** A model, its optimizer and a loss over `data`, with the weights watched: a bad trainStep must not step them. */
async function watchedStep(ctx: HostileContext) {
  const model = buildModel(small);
  const optimizer = new Optimizer(model.params, sgd({ learningRate: 0.1 }));
  owned.push(optimizer, model);
  await ctx.watch(optimizer);
  const loss = () => crossEntropy(data.train.y, model.apply(data.train.x, { training: true }));
  return { model, optimizer, loss };
}

describe('gradient-lab, hostile', () => {
  hostileCases([
    // configurations (buildModel, buildTransform, trainConfiguration share the check)
    { input: 'buildModel()', names: 'options', run: () => buildModel(bad(undefined)) },
    { input: 'buildModel({ …, dpeth: 10 })', names: 'dpeth', run: () => buildModel(config({ dpeth: 10 })) },
    { input: 'buildModel({ …, learning_rate: 0.1 }) (PyTorch)', names: 'learning_rate', run: () => buildModel(config({ learning_rate: 0.1 })) },
    ...([0, 2.5, -1, Number.NaN, '10', null] as const).map((depth) => ({
      input: `buildModel({ …, depth: ${typeof depth === 'string' ? `'${depth}'` : String(depth)} })`,
      names: 'depth',
      run: () => buildModel(config({ depth })),
    })),
    { input: 'buildModel({ …, seed: 10n })', names: 'seed', run: () => buildModel(config({ seed: 10n })) },
    { input: "buildModel({ …, activation: 'softmax' })", names: 'activation', run: () => buildModel(config({ activation: 'softmax' })) },
    { input: "buildModel({ …, init: 'xavier' })", names: 'init', run: () => buildModel(config({ init: 'xavier' })) },
    { input: 'buildModel({ …, initScale: 0 })', names: 'initScale', run: () => buildModel(config({ initScale: 0 })) },
    { input: 'buildModel({ …, initScale: 1e39 }) (not a float32)', names: 'initScale', run: () => buildModel(config({ initScale: 1e39 })) },
    { input: "buildModel({ …, norm: 'group' })", names: 'norm', run: () => buildModel(config({ norm: 'group' })) },
    { input: "buildModel({ …, residual: 'yes' })", names: 'residual', run: () => buildModel(config({ residual: 'yes' })) },
    { input: 'buildTransform({ …, lr: -0.1 })', names: 'lr', run: () => buildTransform(config({ lr: -0.1 })) },
    { input: 'buildTransform({ …, lr: Infinity })', names: 'lr', run: () => buildTransform(config({ lr: Number.POSITIVE_INFINITY })) },
    { input: 'buildTransform({ …, lr: 1e-50 }) (not a float32)', names: 'lr', run: () => buildTransform(config({ lr: 1e-50 })) },
    { input: 'buildTransform({ …, clip: -1 })', names: 'clip', run: () => buildTransform(config({ clip: -1 })) },
    { input: "buildTransform({ …, clip: 'none' })", names: 'clip', run: () => buildTransform(config({ clip: 'none' })) },
    { input: "buildTransform({ …, optimizer: 'adamw2' })", names: 'optimizer', run: () => buildTransform(config({ optimizer: 'adamw2' })) },
    { input: "buildTransform({ …, schedule: 'cyclic' })", names: 'schedule', run: () => buildTransform(config({ schedule: 'cyclic' })) },
    { input: 'buildTransform({ …, guard: 1 })', names: 'guard', run: () => buildTransform(config({ guard: 1 })) },
    { input: 'trainConfiguration({ …, corruptEvery: -2 })', names: 'corruptEvery', run: () => trainConfiguration(config({ corruptEvery: -2 }), splits) },
    { input: 'trainConfiguration({ …, name: 42 })', names: 'name', run: () => trainConfiguration(config({ name: 42 }), splits) },
    // trainConfiguration's options
    { input: 'trainConfiguration(config, data, { report: 5 })', names: 'report', run: () => trainConfiguration(small, splits, bad({ report: 5 })) },
    ...([0, -3, 1.5, 'all', null] as const).map((reports) => ({
      input: `trainConfiguration(config, data, { reports: ${typeof reports === 'string' ? `'${reports}'` : String(reports)} })`,
      names: 'reports',
      run: () => trainConfiguration(small, splits, bad({ reports })),
    })),
    {
      input: "trainConfiguration(config, data, { onProgress: 'log' })",
      names: 'onProgress',
      run: () => trainConfiguration(small, splits, bad({ onProgress: 'log' })),
    },
    // trainStep
    {
      input: 'trainStep(loss, params, optimizer, {}, 0) (not a monitor)',
      names: 'monitor',
      run: async (ctx: HostileContext) => {
        const { model, optimizer, loss } = await watchedStep(ctx);
        trainStep(loss, model.params, optimizer, bad({}), 0);
      },
    },
    ...([-1, 1.5, Number.NaN, '3'] as const).map((step) => ({
      input: `trainStep(loss, params, optimizer, monitor, ${typeof step === 'string' ? `'${step}'` : String(step)})`,
      names: 'step',
      run: async (ctx: HostileContext) => {
        const { model, optimizer, loss } = await watchedStep(ctx);
        trainStep(loss, model.params, optimizer, new GradientMonitor(), bad(step));
      },
    })),
    // the command line (errors name the flag, the value or the command in their message)
    { input: 'gradient-lab train', names: 'train', run: () => parseArgs(['train']) },
    { input: 'gradient-lab run --depth 0', names: '--depth', run: () => parseArgs(['run', '--depth', '0']) },
    { input: 'gradient-lab run --learning-rate 0.1', names: '--learning-rate', run: () => parseArgs(['run', '--learning-rate', '0.1']) },
    { input: 'gradient-lab run --lr 1e39', names: '--lr', run: () => parseArgs(['run', '--lr', '1e39']) },
    { input: 'gradient-lab run --activation softmax', names: '--activation', run: () => parseArgs(['run', '--activation', 'softmax']) },
    { input: 'gradient-lab compare --only relu_he', names: 'relu_he', run: () => parseArgs(['compare', '--only', 'relu_he']) },
    { input: 'gradient-lab compare --init he (a run flag)', names: '--init', run: () => parseArgs(['compare', '--init', 'he']) },
  ]);
  afterAll(() => {
    for (const o of owned) o.dispose();
    tf.dispose([data.train.x, data.train.y]);
  });
});
